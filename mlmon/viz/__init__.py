"""matplotlib figures of mlmon's results. Importing this module imports matplotlib."""

from mlmon.viz._figures import plot_delays, plot_operating_curves, plot_stream
from mlmon.viz._reports import plot_calibrations, plot_monitor

__all__ = ["plot_calibrations", "plot_delays", "plot_monitor", "plot_operating_curves",
           "plot_stream"]
