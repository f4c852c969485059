"""The ablation tables: the paper's Tables I-VI as printed (from ``aminet.paper``, the one source of
the paper's numbers), each row naming the registered model that reproduces it."""

from __future__ import annotations

from aminet.paper import ABLATION_TABLES, PaperRow, PaperTable

__all__ = ["TABLES", "TABLE_KEYS", "PaperRow", "PaperTable", "get_table", "table_models"]

TABLES: dict[str, PaperTable] = ABLATION_TABLES
TABLE_KEYS = tuple(TABLES)


def table_models(key: str) -> list[str]:
    """The registered models of a table, in the paper's row order (reference included)."""
    return [row.model for row in get_table(key).rows]


def get_table(key: str) -> PaperTable:
    try:
        return TABLES[key.upper()]
    except KeyError:
        raise ValueError(
            f"unknown table {key!r}; expected one of {', '.join(TABLE_KEYS)} or all"
        ) from None
