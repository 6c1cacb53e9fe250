"""What the reference generators in this folder share: one CSV layout, in which the inputs
are written as given and every computed value is rounded once from mpmath to the nearest
double (repr: the shortest string that reads back to the same double)."""
import sys


def double(v):
    """The double nearest to the mpmath value v, in its shortest round-trip form."""
    return repr(float(v))


def write_rows(header, rows, out=sys.stdout):
    """Writes `header` (a list of column names; None for none) and then each row, given as
    (inputs, values): the inputs as strings, the values rounded by `double`. Rows are
    flushed one by one, so a long run shows its progress."""
    if header is not None:
        out.write(",".join(header) + "\n")
    for inputs, values in rows:
        out.write(",".join([*(str(v) for v in inputs), *(double(v) for v in values)]) + "\n")
        out.flush()
