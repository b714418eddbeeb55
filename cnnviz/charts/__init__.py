"""Plotly figure builders: data in, ``plotly.graph_objects.Figure`` out; nothing is drawn here.

- ``base``: what every page's charts share: margins, colours, ``heatmap``, ``image_row``, the
  side-by-side panel layout and ``cell_box`` for rectangles around heatmap cells.
- ``pooling``: the Pooling & padding page (padded images, the step-through, shift bars).
- ``training``: the Live training page (learning curves, confusion matrix, gallery of mistakes).
- ``convolution``: the Convolution page (outputs, the step-through's grids).
- ``draw``: the Draw a digit page (probabilities, sweeps, the receptive field).
- ``network``: a network's feature maps and filters (the Draw a digit and Live training pages).
- ``classroom``: class mode (the class's drawings and answers).

The shared builders are re-exported here, so a page reads ``charts.heatmap(...)`` next to
``pooling_charts.step_through(...)``.
"""

from cnnviz.charts.base import IMAGE_COLORSCALE, SIGNED_COLORSCALE, heatmap, image_row

__all__ = ["IMAGE_COLORSCALE", "SIGNED_COLORSCALE", "heatmap", "image_row"]
