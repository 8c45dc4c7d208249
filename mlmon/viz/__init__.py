"""matplotlib figures of mlmon's results. Importing this module imports matplotlib."""

from mlmon.viz._figures import plot_delays, plot_operating_curves, plot_stream

__all__ = ["plot_delays", "plot_operating_curves", "plot_stream"]
