"""pandera, imported once for every schema of the package, without the warning its import now triggers.

``import pandera.pandas`` tries ``import pyspark.pandas`` when PySpark is installed (it is, for the cluster-path
tests), and PySpark warns "does not yet fully support pandas >= 3.0.0" before that import fails; pandera catches the
failure, then tries again once, when it registers its pandas check backend (``pandera.backends.pandas.builtin_checks``,
imported lazily at the first ``validate``). The warning is about PySpark's pandas API, which this package never uses;
left alone it would print in every notebook that validates a file. Both attempts are made here, narrowly silenced
(that message and category only, during these imports only), and nowhere else.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support", category=FutureWarning)
    import pandera.pandas as pa
    from pandera.backends.pandas import builtin_checks  # noqa: F401  (its one retry of pyspark.pandas, see above)

__all__ = ["pa"]
