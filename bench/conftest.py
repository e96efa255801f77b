"""Print, after the pytest-benchmark table, each anchor's median over fastscore's.

Every benchmark group holds one fastscore function (its name starts with
``fastscore``) and the anchors it replaces, run on the same data in the same
session. The ratio anchor / fastscore is the speed-up.
"""
from collections import defaultdict


def pytest_terminal_summary(terminalreporter, config):
    session = getattr(config, "_benchmarksession", None)
    if session is None or not session.benchmarks:
        return
    groups = defaultdict(dict)
    extra = defaultdict(dict)
    for bench in session.benchmarks:
        if bench.stats is None:
            continue
        name = bench.name.removeprefix("test_")
        if "[" in name:  # a test parametrized over libraries: the parameter names the library
            name = name.split("[", 1)[1].rstrip("]")
        groups[bench.group][name] = bench.stats.median
        extra[bench.group].update(bench.extra_info)
    terminalreporter.write_sep("=", "speed-up of fastscore over each anchor (ratio of medians)")
    for group, medians in sorted(groups.items()):
        ours = [v for k, v in medians.items() if k.startswith("fastscore")]
        if not ours:
            continue
        terminalreporter.write_line(f"{group}: fastscore {ours[0] * 1e3:.1f} ms")
        for name, median in sorted(medians.items()):
            if not name.startswith("fastscore"):
                terminalreporter.write_line(f"    {median / ours[0]:7.1f}x  vs {name} ({median * 1e3:.1f} ms)")
        for key, value in sorted(extra[group].items()):
            terminalreporter.write_line(f"    {key}: {value}")
