"""The pre-analysis plan's machinery: panels, SYNTHETIC data and power.

The pre-analysis plan's machinery: balanced village x month panels (:mod:`.panel`), every SYNTHETIC
data-generating process (:mod:`.synthetic`) and power, minimum detectable effects and coverage studies
(:mod:`.power`, which draws its data from :mod:`.synthetic`).
"""
