// The drawing half of `ivsim plot`, in Python for matplotlib. It gets a
// figure fully decided by ivsim (series, labels, scales) and draws it;
// metadata that would change from run to run (dates, random ids) is left
// out so the same results give the same file.
#include "sim/plot.h"

namespace ivsim {

const char* const kPlotScript = R"PY(
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

spec = json.load(open(sys.argv[1]))
out = sys.argv[2]
fmt = spec["format"]
matplotlib.rcParams["svg.hashsalt"] = "ivsim"
matplotlib.rcParams["svg.fonttype"] = "none"

fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
if spec["kind"] == "lines":
    markers = ["o", "s", "^", "D", "v", "P", "X", "*"]
    styles = ["-", "--", ":", "-."]  # lines that coincide stay visible
    failed_y = spec.get("failed_y")
    for i, s in enumerate(spec["series"]):
        m = markers[i % len(markers)]
        line = None
        if s["x"]:
            if s.get("err_low") is not None:
                line = ax.errorbar(s["x"], s["y"], yerr=[s["err_low"], s["err_high"]], marker=m, capsize=4,
                                   linestyle=styles[i % len(styles)], label=s["label"])[0]
            else:
                (line,) = ax.plot(s["x"], s["y"], marker=m, linestyle=styles[i % len(styles)], label=s["label"])
        if s["failed_x"]:
            color = line.get_color() if line is not None else "tab:red"
            ax.scatter(s["failed_x"], [failed_y] * len(s["failed_x"]), marker="x", s=80, color=color,
                       label=s["failed_label"], zorder=5)
else:
    lows = [b[0] for b in spec["bins"]]
    widths = [b[1] - b[0] for b in spec["bins"]]
    counts = [b[2] for b in spec["bins"]]
    ax.bar(lows, counts, width=widths, align="edge", edgecolor="black", linewidth=0.4)
    for name, value, style in spec["marks"]:
        ax.axvline(value, linestyle=style, color="black", linewidth=1, label="%s %.4g %s" % (name, value, spec["unit"]))
    if spec["marks"]:
        ax.legend()

for axis, scale in (("x", spec["xscale"]), ("y", spec["yscale"])):
    if scale == "linear":
        continue
    base = 2 if scale == "log2" else 10
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log", base=base)
if spec.get("xticks"):
    ax.set_xticks(spec["xticks"])
    ax.set_xticklabels(spec["xticklabels"])
    ax.minorticks_off()
if spec.get("ylim_bottom") is not None:
    ax.set_ylim(bottom=spec["ylim_bottom"])
ax.set_xlabel(spec["xlabel"])
ax.set_ylabel(spec["ylabel"])
ax.set_title(spec["title"])
ax.grid(True, which="major", alpha=0.3)
if spec["kind"] == "lines":
    ax.legend(fontsize="small")
fig.tight_layout()
meta = {"Date": None} if fmt in ("svg", "pdf") else {"Software": None}
fig.savefig(out, format=fmt, metadata=meta)
)PY";

}  // namespace ivsim
