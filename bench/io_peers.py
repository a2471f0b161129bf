"""pyarrow's figures for the io group (`npm run bench -- io`), same files and same run.

Arguments: the benchmark CSV, the JSON Lines file, a scratch folder for the partitioned dataset,
and the number of timed runs. Everything runs on one thread (pyarrow.set_cpu_count(1),
use_threads=False) so the figures compare with Trellis' single-threaded readers. Prints one JSON
object per figure; exits with status 3 and a message when pyarrow is missing.
"""
import json
import shutil
import statistics
import sys
import time

try:
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.dataset as ds
    import pyarrow.json as pjson
except ImportError as err:  # pragma: no cover - depends on the machine
    print(f"pyarrow is not installed ({err.name}); pip install pyarrow", file=sys.stderr)
    sys.exit(3)


def timed(fn, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def emit(name, ms, runs, **extra):
    print(json.dumps({"name": name, "medianMs": ms, "runs": runs, "extra": extra}))


def main():
    csv_path, jsonl_path, out, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    one = pcsv.ReadOptions(use_threads=False)
    types = {"customer_id": pa.int64(), "event_ts": pa.timestamp("us", tz="UTC")}
    types.update({f"f{j}": pa.float64() for j in range(16)})
    types.update({c: pa.string() for c in ("cat5", "cat20", "cat200")})
    typed = pcsv.ConvertOptions(column_types=types)
    emit("pyarrow: read_csv typed, one thread", timed(lambda: pcsv.read_csv(csv_path, read_options=one, convert_options=typed), runs), runs, version=pa.__version__)
    emit("pyarrow: read_csv inferred, one thread", timed(lambda: pcsv.read_csv(csv_path, read_options=one), runs), runs)
    emit("pyarrow: read_json, one thread", timed(lambda: pjson.read_json(jsonl_path, read_options=pjson.ReadOptions(use_threads=False)), runs), runs)

    def move():
        shutil.rmtree(out, ignore_errors=True)
        table = pcsv.read_csv(csv_path, read_options=one)
        ds.write_dataset(table, out, format="parquet", partitioning=["cat5"], partitioning_flavor="hive", use_threads=False)

    emit("pyarrow: read_csv + write_to_dataset partitioned by cat5, one thread", timed(move, runs), runs)
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
