"""Instructions per operation, swiftbuf.MemoryView against the builtin memoryview, under callgrind.

Wall-clock ratios on a shared machine move by 10-20 % from run to run; instruction counts do
not. This runs every case of bench_memoryview.py (same data, same setup, same statement) in one
process under `valgrind --tool=callgrind`, for each type: N executions of the statement in a
timeit loop, then N executions of `pass` with the same setup, each bracketed by a call to
`os.getppid()`, which callgrind is told to dump at (`--dump-before=getppid`). The cost of one
operation is the difference of the two loops divided by N: the loop, the setup and everything
outside cancel. N is the same for both types, sized from a native timing of the builtin.

    SWIFTBUF_EXTENSION=.build/release/lib_swiftbuf.so python3 benchmarks/callgrind_ops.py [-k NAME]

Prints, per case: builtin and swiftbuf instructions per operation and their ratio, then the
geometric mean. Instruction counts are not time (memory traffic, branch prediction), so read them
beside bench_memoryview.py's wall-clock ratios, not instead of them. A measurement, not a test.
"""
import argparse
import glob
import math
import os
import re
import subprocess
import sys
import tempfile
import timeit

HERE = os.path.dirname(os.path.abspath(__file__))


def child(out_dir, pattern):
    """Runs under callgrind: executes the cases, marking each loop with getppid()."""
    sys.path.insert(0, HERE)
    import bench_memoryview as bench  # noqa: E402  (imports swiftbuf, honouring SWIFTBUF_EXTENSION)

    shared = bench.data()
    plan = []
    for name, setup, stmt in bench.CASES:
        if pattern and pattern not in name:
            continue
        plan.append((name, setup, stmt))
    marks = []  # one label per dump, in order
    os.getppid()  # dump 1: startup, discarded
    marks.append("startup")
    for name, setup, stmt in plan:
        namespaces = {label: bench.namespace(shared, view) for label, view in
                      (("builtin", bench.BUILTIN), ("swiftbuf", bench.SWIFT))}
        # N from one native-speed-independent probe: the builtin's own time under callgrind.
        probe = timeit.Timer(stmt, setup, globals=namespaces["builtin"])
        probe.timeit(1)  # warm caches, specialise the bytecode
        n = 1
        while n < 2000:
            t = probe.timeit(n)
            if t > 0.05:
                break
            n *= 4
        n = max(2, min(n, 2000))
        os.getppid()
        marks.append(None)  # probe, discarded
        for label in ("builtin", "swiftbuf"):
            ns = namespaces[label]
            op = timeit.Timer(stmt, setup, globals=ns)
            base = timeit.Timer("pass", setup, globals=ns)
            op.timeit(2)
            base.timeit(2)  # warm-up: first-call specialisation out of the measurement
            os.getppid()
            marks.append(None)
            op.timeit(n)
            os.getppid()
            marks.append((name, label, "op", n))
            base.timeit(n)
            os.getppid()
            marks.append((name, label, "base", n))
    with open(os.path.join(out_dir, "marks.txt"), "w") as f:
        for m in marks:
            f.write(repr(m) + "\n")


OWN = {"builtin": lambda obj, src: src.endswith(("Objects/memoryobject.c", "Objects/clinic/memoryobject.c.h")),
       "swiftbuf": lambda obj, src: "_swiftbuf" in obj or "libswift" in obj}


def is_header(src):
    return src.endswith(".h") and not src.endswith(".c.h")


def self_costs(path):
    """Self instructions of one dump, summed by (object, source file).

    Callgrind's format: `ob=` names the object of the functions that follow, `fl=` the file
    of a function's first lines, `fi=`/`fe=` the file of the lines that follow (inlined code),
    `fn=` starts a function, and the cost line after a `calls=` line is that call's inclusive
    cost, which belongs to the callee and is skipped here. Names are compressed to `(id)`
    after their first use in a file.

    A line's file is the one in effect, but a line from a header (`Py_INCREF`, `Py_SIZE`, an
    inline function of `Include/`) counts for the file of the function it was inlined into:
    the function's first file that is not a header (its `fl=` may itself be a header when its
    first instruction is inlined). Argument clinic's `memoryobject.c.h` is memoryobject.c's
    (`memoryview_cast` is defined there, with its `_impl` inlined).
    """
    names = {"ob": {}, "fl": {}, "fn": {}}
    space = {"ob": "ob", "cob": "ob", "fl": "fl", "fi": "fl", "fe": "fl", "cfi": "fl", "cfl": "fl",
             "fn": "fn", "cfn": "fn"}

    def name(kind, value):
        m = re.match(r"\((\d+)\)\s*(.*)", value)
        if not m:
            return value
        table = names[space[kind]]
        if m.group(2):
            table[m.group(1)] = m.group(2)
        return table.get(m.group(1), "?")
    obj = fl = current = ""
    function = None
    home = {}  # function -> its first file that is not a header
    skip = False
    costs = {}  # (function, file in effect) -> instructions
    with open(path) as f:
        for line in f:
            c = line[:1]
            if c.isdigit() or c in "+-*":
                if skip:
                    skip = False
                    continue
                key = (function, current)
                costs[key] = costs.get(key, 0) + int(line.split()[-1])
                continue
            key, eq, value = line.partition("=")
            if not eq or key not in space:
                if key == "calls":
                    skip = True
                continue
            named = name(key, value.strip())
            if key == "ob":
                obj = named
            elif key == "fl":
                fl = current = named
            elif key in ("fi", "fe"):
                current = named
            elif key == "fn":
                function = (obj, named)
                current = fl
            if key in ("fl", "fi", "fe", "fn") and function and not is_header(current):
                home.setdefault(function, current)
    out = {}
    for (function, src), cost in costs.items():
        if function is None:
            continue
        if is_header(src):
            src = home.get(function, src)
        key = (function[0], src)
        out[key] = out.get(key, 0) + cost
    return out


def totals(out_dir):
    """(instruction total, file) of each dump, in dump order."""
    files = glob.glob(os.path.join(out_dir, "callgrind.out.*"))

    def order(path):
        m = re.search(r"\.(\d+)$", path)
        return int(m.group(1)) if m else 0
    result = []
    for path in sorted(files, key=order):
        if not re.search(r"\.\d+$", path):
            continue  # the final dump at exit
        with open(path) as f:
            for line in f:
                if line.startswith("summary:") or line.startswith("totals:"):
                    result.append((int(line.split()[1]), path))
                    break
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", help="only cases whose name contains this")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--keep", help="keep callgrind's files in this folder")
    parser.add_argument("--split", action="store_true",
                        help="also count each type's own code: memoryobject.c's functions for the builtin, "
                             "the extension's and the Swift runtime's for swiftbuf; the rest is the "
                             "interpreter and the C API both call")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.k)
        return
    out_dir = args.keep or tempfile.mkdtemp(prefix="callgrind_ops.")
    os.makedirs(out_dir, exist_ok=True)
    env = dict(os.environ, PYTHONHASHSEED="0")
    if env.get("SWIFTBUF_EXTENSION"):
        # valgrind 3.19 cannot read the Swift DWARF of a SwiftPM build (it gives up on the whole
        # process): measure a copy without it, as swiftbuf/build.py installs the module.
        stripped = os.path.join(out_dir, "lib_swiftbuf.so")
        subprocess.run(["strip", "--strip-debug", "-o", stripped, env["SWIFTBUF_EXTENSION"]], check=True)
        env["SWIFTBUF_EXTENSION"] = stripped
    cmd = ["valgrind", "--tool=callgrind", "--dump-instr=no", "--dump-before=getppid",
           f"--callgrind-out-file={out_dir}/callgrind.out", sys.executable, os.path.abspath(__file__),
           "--child", out_dir] + (["-k", args.k] if args.k else [])
    subprocess.run(cmd, env=env, check=True, stderr=subprocess.DEVNULL)
    with open(os.path.join(out_dir, "marks.txt")) as f:
        marks = [eval(line) for line in f]
    counts = totals(out_dir)
    # Dump k (1-based) holds the cost since dump k-1, ending at the k-th getppid() call.
    per = {}
    for mark, (cost, path) in zip(marks, counts):
        if isinstance(mark, tuple):
            name, label, kind, n = mark
            own = 0
            if args.split:
                mine = OWN[label]
                own = sum(c for (obj, src), c in self_costs(path).items() if mine(obj, src))
            per.setdefault(name, {}).setdefault(label, {})[kind] = (cost, own, n)
    header = f"{'operation':44} {'builtin':>10} {'swiftbuf':>10} {'ratio':>7}"
    if args.split:
        header += f" {'own B':>8} {'own S':>8} {'rest B':>8} {'rest S':>8} {'floor':>6}"
    print(header)
    ratios, floors = [], []
    for name, by_label in per.items():
        ins, own = {}, {}
        for label, kinds in by_label.items():
            (op, op_own, n), (base, base_own, _) = kinds["op"], kinds["base"]
            ins[label] = max(op - base, 1) / n
            own[label] = (op_own - base_own) / n
        ratio = ins["swiftbuf"] / ins["builtin"]
        ratios.append(ratio)
        line = f"{name:44} {ins['builtin']:10.0f} {ins['swiftbuf']:10.0f} {ratio:7.3f}"
        if args.split:
            # The ratio swiftbuf would have if its own code cost nothing and it made the same calls.
            floor = max(ins["swiftbuf"] - own["swiftbuf"], 1) / ins["builtin"]
            floors.append(floor)
            line += (f" {own['builtin']:8.0f} {own['swiftbuf']:8.0f} {ins['builtin'] - own['builtin']:8.0f}"
                     f" {ins['swiftbuf'] - own['swiftbuf']:8.0f} {floor:6.3f}")
        print(line + ("  <-- above 1.05x" if ratio > 1.05 else ""))
    if ratios:
        geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
        print(f"{'geometric mean (swiftbuf / builtin)':66} {geo:7.3f}")
        print(f"{'worst':66} {max(ratios):7.3f}")
    if floors:
        geo = math.exp(sum(math.log(x) for x in floors) / len(floors))
        print(f"{'geometric mean if swiftbuf own code cost nothing (floor)':66} {geo:7.3f}")
    if not args.keep:
        for path in glob.glob(os.path.join(out_dir, "*")):  # only what this run wrote
            os.remove(path)
        os.rmdir(out_dir)


if __name__ == "__main__":
    main()
