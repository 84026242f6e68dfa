"""CSV files: one row per example, numeric feature columns plus one label column.

* **Delimiter**: the most frequent of ``,`` ``;`` and tab on the first line.
* **Header**: the first row is a header when it names a label column (below) or when some
  column holds text there and a number in the second row (so ``pixel0,…`` over ``0,…`` is a
  header; ``1,2,cat`` is data).
* **Label column** (``label_column``): a header name, or an index (0 = first, -1 = last;
  a string of digits counts as an index unless it is a header name). By default the column
  named ``label``, ``labels``, ``class``, ``target`` or ``y`` (any case; the first of these
  names wins), else the last column — said in a notice.
* Labels may be names (``cat``) or whole numbers; features must all be numbers — the first
  cell that is not is named by line and column.

The numbers are parsed by NumPy's C reader (``np.loadtxt``), not a Python loop.
"""

from __future__ import annotations

import csv
import warnings
from itertools import islice
from pathlib import Path

import numpy as np

from glassnet.data.dataset import Dataset, check_finite, classes_of, clean_labels, row_sources
from glassnet.errors import DataError
from glassnet.limits import require_regular

LABEL_NAMES = ("label", "labels", "class", "target", "y")
DELIMITERS = (",", ";", "\t")


def load_csv(path: Path, label_column: str | int | None = None) -> Dataset:
    """A Dataset of plain vectors from a CSV file (``image_shape`` is None)."""
    require_regular(path, DataError, "CSV file")
    first_rows, delimiter = _head(path)
    header = _has_header(first_rows, label_column)
    names = first_rows[0] if header else [str(j) for j in range(len(first_rows[0]))]
    label, notices = _label_index(path, names, header, label_column)
    check_rows(path, delimiter, header, len(names))
    features = [j for j in range(len(names)) if j != label]
    X = _read_features(path, delimiter, header, features, names)
    y = _read_labels(path, delimiter, header, label, names)
    check_finite(X, str(path))
    return Dataset(X=X, y=y, classes=classes_of(y, str(path)), notices=notices,
                   sources=row_sources(path.name, len(X)))


def _head(path: Path) -> tuple[list[list[str]], str]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            first_line = f.readline()
            f.seek(0)
            delimiter = max(DELIMITERS, key=first_line.count)
            rows = [r for r in islice(csv.reader(f, delimiter=delimiter), 2)]
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read as UTF-8 text ({e}).") from None
    if not rows or not rows[0]:
        raise DataError(f"{path}: the CSV file is empty; expected rows of numbers with a "
                        f"label column.")
    if len(rows[0]) < 2:
        raise DataError(f"{path}: found a single column; expected features plus a label "
                        f"column separated by ',', ';' or tabs.")
    return rows, delimiter


def check_rows(path: Path, delimiter: str, header: bool, n_cells: int) -> None:
    """Every row has the first row's number of cells (NumPy would silently ignore extra cells
    with ``usecols``) and no empty line sits between rows; at least one data row exists.
    Empty lines at the very end are fine."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, delimiter=delimiter)
        try:
            rows = _count_rows(path, reader, header, n_cells)
        except UnicodeDecodeError:
            raise _not_utf8(path) from None
    if rows == 0:
        raise DataError(f"{path}: the CSV file has no data rows{' after its header' if header else ''}; "
                        f"expected one row per example.")


def _count_rows(path: Path, reader, header: bool, n_cells: int) -> int:
    blank, rows = None, 0
    for row in islice(reader, int(header), None):
        if not row:
            blank = blank or reader.line_num
            continue
        if blank is not None:
            raise DataError(f"{path}: line {blank} is empty but data follows it. Remove the "
                            f"empty line.")
        if len(row) != n_cells:
            raise DataError(f"{path}: line {reader.line_num} has {len(row)} cells, expected "
                            f"{n_cells} like the first row. Fix that line.")
        rows += 1
    return rows


def _not_utf8(path: Path) -> DataError:
    """Name the line of the first byte that is not UTF-8 (text files decode in chunks, so the
    reader's own line count can be far off)."""
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        return DataError(f"{path}: line {line} is not UTF-8 text (byte 0x{raw[e.start]:02x}: "
                         f"{e.reason}). Save the file as UTF-8.")
    return DataError(f"{path}: is not UTF-8 text. Save the file as UTF-8.")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _has_header(rows: list[list[str]], label_column) -> bool:
    if isinstance(label_column, str) and label_column in rows[0]:
        return True
    if any(cell.strip().lower() in LABEL_NAMES for cell in rows[0]):
        return True
    if len(rows) == 1:
        return not all(_is_number(c) for c in rows[0])
    return any(not _is_number(a) and _is_number(b) for a, b in zip(rows[0], rows[1]))


def _label_index(path: Path, names: list[str], header: bool, label_column):
    """The label column's index and, when guessed, a notice saying so."""
    if label_column is None:
        lowered = [n.strip().lower() for n in names] if header else []
        found = [lowered.index(n) for n in LABEL_NAMES if n in lowered]
        if found:
            return found[0], []
        return len(names) - 1, [f"{path.name}: using the last column ({names[-1]!r}) as the "
                                f"label; pass label_column=… (--label-column) to choose."]
    if isinstance(label_column, str) and label_column in names and header:
        return names.index(label_column), []
    if isinstance(label_column, str) and label_column.lstrip("-").isdigit():
        label_column = int(label_column)
    if isinstance(label_column, int) and not isinstance(label_column, bool):
        if -len(names) <= label_column < len(names):
            return label_column % len(names), []
        raise DataError(f"{path}: label_column={label_column} is out of range for "
                        f"{len(names)} columns (valid: 0..{len(names) - 1} or negative).")
    valid = ", ".join(map(repr, names[:10])) + (" …" if len(names) > 10 else "")
    raise DataError(f"{path}: no column named {label_column!r}"
                    f"{'' if header else ' (the file has no header row)'}. Columns: "
                    f"{valid if header else f'0..{len(names) - 1}'}. Pass a name or an index.")


def _loadtxt(path: Path, delimiter: str, header: bool, columns, dtype) -> np.ndarray:
    with warnings.catch_warnings():  # empty last lines (checked in check_rows) are fine
        warnings.filterwarnings("ignore", message="Input line .* contained no data")
        return _loadtxt_columns(path, delimiter, header, columns, dtype)


def _loadtxt_columns(path: Path, delimiter: str, header: bool, columns, dtype) -> np.ndarray:
    return np.loadtxt(path, delimiter=delimiter, skiprows=int(header), usecols=columns,
                      dtype=dtype, ndmin=2 if dtype is np.float32 else 1, quotechar='"',
                      comments=None, encoding="utf-8-sig")


def _read_features(path, delimiter, header, features, names) -> np.ndarray:
    try:
        return _loadtxt(path, delimiter, header, features, np.float32)
    except ValueError as e:
        raise _diagnose(path, delimiter, header, features, names, e) from None


def _read_labels(path, delimiter, header, label, names) -> np.ndarray:
    try:
        text = np.char.strip(_loadtxt(path, delimiter, header, [label], str))
    except ValueError as e:
        raise _diagnose(path, delimiter, header, [], names, e) from None
    empty = np.flatnonzero(text == "")
    if len(empty):
        raise DataError(f"{path}: the label column {names[label]!r} is empty on data row "
                        f"{empty[0] + 1}; every row needs a label.")
    try:
        values = text.astype(np.float64)
    except ValueError:
        return text  # class names
    return clean_labels(values, f"{path} (label column {names[label]!r})")


def _diagnose(path, delimiter, header, features, names, error: ValueError) -> DataError:
    """Find the first bad row or cell with Python's csv reader (only on the error path)."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, delimiter=delimiter)
        for row in reader:
            if reader.line_num == 1 and header or not row:
                continue
            if len(row) != len(names):
                return DataError(f"{path}: line {reader.line_num} has {len(row)} cells, "
                                 f"expected {len(names)} like the first row. Fix that line.")
            for j in features:
                if not _is_number(row[j]):
                    return DataError(
                        f"{path}: line {reader.line_num}, column {j} ({names[j]!r}): "
                        f"{row[j]!r} is not a number. Feature cells must be numeric; fix or "
                        f"remove that row, or choose it as the label with label_column.")
    return DataError(f"{path}: cannot parse the CSV file ({error}).")
