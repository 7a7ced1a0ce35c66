"""Risk assessment: behaviour data, features, a scoring model with its card, re-segmentation and early warning.

Pure modules (no I/O): behaviour (the row), features, labels (the targets), binning, metrics,
model (scoring a trained model), segments, early_warning (the watch list's rules), synthetic
(the generative model). The rest reads or writes the record: behaviour_import, history (loading
histories in batches), dataset, training, evaluation, registry, watchlist, rescore, cli.
See docs/risk.md.
"""
