"""matplotlib figures of mlmon's results. Importing this module imports matplotlib."""

from mlmon.viz._figures import plot_delays, plot_operating_curves, plot_stream
from mlmon.viz._power import plot_power
from mlmon.viz._reports import plot_calibrations, plot_monitor
from mlmon.viz._retraining import plot_policy_tradeoff, plot_replays

__all__ = ["plot_calibrations", "plot_delays", "plot_monitor", "plot_operating_curves",
           "plot_policy_tradeoff", "plot_power", "plot_replays", "plot_stream"]
