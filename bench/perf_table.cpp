// `make bench`: the speed targets P1-P7 as one table. Each row is measured by
// ivsim_perf_row in a process of its own, next to the baselines it is judged
// against (the SystemC hand-off floor, the raw TLM DMI loop, a two-VM run),
// all measured in this same invocation. Targets are judged from the table;
// the process fails only when a measurement crashes.
#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace {

using Json = nlohmann::json;

bool measure(const std::string& row, Json& out) {
  const std::string cmd = std::string(IVSIM_PERF_ROW) + " " + row;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) return false;
  std::string text;
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), buf.size(), pipe.get())) text += buf.data();
  const int status = pclose(pipe.release());
  if (status != 0) {
    std::fprintf(stderr, "ivsim_perf: row %s failed (status %d)\n", row.c_str(), status);
    return false;
  }
  out = Json::parse(text.substr(text.rfind('{')));
  return true;
}

struct Line {
  std::string name, measured, baseline, ratio, target, verdict;
};

std::string verdict(bool ok) { return ok ? "met" : "not met"; }

}  // namespace

int main() {
  // The floor is measured before, between and after the two ping-pongs
  // judged against it, and the median taken: the machine's speed drifts, and
  // one floor run in a fast or slow moment would move both rows.
  Json floor_a, floor_b, floor_c, p1, p2, p3, p4, p5, p6, p7;
  bool crashed = false;
  for (auto& [row, out] : std::vector<std::pair<std::string, Json*>>{{"floor", &floor_a},
                                                                     {"p1", &p1},
                                                                     {"floor", &floor_b},
                                                                     {"p2", &p2},
                                                                     {"floor", &floor_c},
                                                                     {"p3", &p3},
                                                                     {"p4", &p4},
                                                                     {"p5", &p5},
                                                                     {"p6", &p6},
                                                                     {"p7", &p7}})
    crashed |= !measure(row, *out);
  if (crashed) return 1;

  std::array<double, 3> floors{floor_a["ns"].get<double>(), floor_b["ns"].get<double>(), floor_c["ns"].get<double>()};
  std::sort(floors.begin(), floors.end());
  const double floor_ns = floors[1];
  std::vector<Line> t;
  auto run_rows = [&](const char* name, const Json& r, double wall_target, double handoff_target) {
    const double ratio = r["wall_s"].get<double>() / r["simulated_s"].get<double>();
    const double per_rt_ns = r["wall_s"].get<double>() * 1e9 / r["round_trips"].get<double>();
    t.push_back({fmt::format("{} wall / simulated", name),
                 fmt::format("{:.3f} s / {:.3f} ms", r["wall_s"].get<double>(), r["simulated_s"].get<double>() * 1e3),
                 "-", fmt::format("{:.2f}", ratio), fmt::format("<= {}", wall_target), verdict(ratio <= wall_target)});
    t.push_back({fmt::format("{} host per round trip", name), fmt::format("{:.0f} ns", per_rt_ns),
                 fmt::format("hand-off {:.1f} ns (median of 3)", floor_ns),
                 fmt::format("{:.1f} hand-offs", per_rt_ns / floor_ns), fmt::format("<= {}", handoff_target),
                 verdict(per_rt_ns / floor_ns <= handoff_target)});
  };
  run_rows("P1 doorbell ping-pong", p1, 0.5, 40);
  run_rows("P2 polling ping-pong", p2, 3, 12);
  for (const char* op : {"load", "store"}) {
    const double v = p3[std::string(op) + "_ns"], raw = p3["raw_ns"];
    t.push_back({fmt::format("P3 8-byte {} through the vCPU", op), fmt::format("{:.2f} ns", v),
                 fmt::format("raw DMI {:.2f} ns", raw), fmt::format("{:.2f}x", raw / v), ">= 0.5x",
                 verdict(raw / v >= 0.5)});
  }
  {
    const double ratio = p4["wall_s"].get<double>() / p4["simulated_s"].get<double>();
    t.push_back({"P4 64 MiB through a region, wall / simulated",
                 fmt::format("{:.3f} s / {:.3f} ms", p4["wall_s"].get<double>(), p4["simulated_s"].get<double>() * 1e3),
                 "-", fmt::format("{:.1f}", ratio), "<= 10", verdict(ratio <= 10)});
  }
  {
    const double large = p5["wall_s"].get<double>() / p5["accesses"].get<double>();
    const double small = p2["wall_s"].get<double>() / p2["accesses"].get<double>();
    t.push_back({"P5 16 VMs x 8 regions, host per access", fmt::format("{:.1f} ns", large * 1e9),
                 fmt::format("2 VMs x 1 region {:.1f} ns", small * 1e9), fmt::format("{:.2f}", large / small), "<= 1.3",
                 verdict(large / small <= 1.3)});
  }
  {
    const double rss = p6["peak_rss_mib"], touched = p6["touched_mib"];
    t.push_back({"P6 8 regions of 512 MiB, peak RSS", fmt::format("{:.0f} MiB", rss),
                 fmt::format("touched {:.0f} MiB", touched), fmt::format("{:.0f} MiB over", rss - touched),
                 "<= 64 MiB over", verdict(rss - touched <= 64)});
  }
  t.push_back({"P7 load + elaborate the default", fmt::format("{:.1f} ms", p7["ms"].get<double>()), "-", "-",
               "<= 20 ms", verdict(p7["ms"].get<double>() <= 20)});

  std::array<std::size_t, 6> w{9, 8, 8, 5, 6, 7};
  for (const Line& l : t) {
    const std::array<const std::string*, 6> cells{&l.name, &l.measured, &l.baseline, &l.ratio, &l.target, &l.verdict};
    for (std::size_t i = 0; i < 6; ++i) w[i] = std::max(w[i], cells[i]->size());
  }
  auto print = [&](const std::array<std::string, 6>& c) {
    std::string s;
    for (std::size_t i = 0; i < 6; ++i) s += fmt::format("{:<{}}  ", c[i], w[i]);
    while (!s.empty() && s.back() == ' ') s.pop_back();
    std::printf("%s\n", s.c_str());
  };
  print({"benchmark", "measured", "baseline", "ratio", "target", "verdict"});
  for (const Line& l : t) print({l.name, l.measured, l.baseline, l.ratio, l.target, l.verdict});
  return 0;
}
