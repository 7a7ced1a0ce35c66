"""Risk assessment: behaviour data, features, a scoring model with its card, re-segmentation and early warning.

Pure modules (no I/O): behaviour (the row), features, labels (the targets), binning, metrics, model
(scoring with a trained model), card, early_warning (the watch list's rules), schedule (the
rescoring calendar), synthetic (the generative model; its writers fill a record). The rest reads or
writes the record:
behaviour_import, history (histories in batches), dataset, training, evaluation, registry,
scoring, watchlist, rescore, demo, cli. See docs/risk.md.
"""
