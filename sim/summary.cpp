// The summary `ivsim run` prints: one row per metric with the unit chosen
// for that row (ns, µs or ms, so no row needs more than four integer
// digits), columns as wide as their widest cell, every workload listed (one
// without samples too) with its status and, when it did not complete, why;
// then each VM's exits on a line of its own.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "sim/report.h"

namespace ivsim {

namespace {

// Columns count characters, not bytes ("µs" is two columns).
std::size_t width(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}
std::string pad_right(const std::string& s, std::size_t w) { return s + std::string(w - std::min(w, width(s)), ' '); }
std::string pad_left(const std::string& s, std::size_t w) { return std::string(w - std::min(w, width(s)), ' ') + s; }

struct Unit {
  const char* name;
  double ns;  // nanoseconds per unit
};

// The largest unit in which the row's largest value still reads in full.
Unit unit_for(double max_ns) {
  if (max_ns < 1e4) return {"ns", 1};
  if (max_ns < 1e7) return {"µs", 1e3};
  return {"ms", 1e6};
}

std::string value(double ns, const Unit& u) { return fmt::format("{:.1f}", ns / u.ns); }

// A table row: cells, then lines printed under it from the metric column.
struct Row {
  std::vector<std::string> cells;
  std::vector<std::string> notes;
};

// A latency histogram as text: the report's bins (16 per power of two)
// merged four by four, so each line is a quarter of an octave (from 2^e:
// x1, x1.25, x1.5, x1.75, x2), one line per quarter with samples, a bar
// scaled to the fullest line and the count; a line with any sample gets at
// least one mark, so a tail of single samples stays visible.
std::vector<std::string> histogram_lines(const Json& m, const Unit& u) {
  struct Bin {
    u64 low = 0, high = 0;  // ps
    u64 count = 0;
  };
  std::vector<Bin> bins;
  for (const auto& b : m["histogram"]["bins"]) {
    const u64 low = static_cast<u64>(std::llround(b[0].get<double>() * 1000));
    const u64 count = b[2].get<u64>();
    Bin q{low, static_cast<u64>(std::llround(b[1].get<double>() * 1000)), count};
    if (low >= 32) {
      const unsigned e = 63u - static_cast<unsigned>(__builtin_clzll(low));
      const u64 quarter = u64{1} << (e - 2);
      q.low = (low / quarter) * quarter;
      q.high = q.low + quarter;
    }
    if (!bins.empty() && bins.back().low == q.low)
      bins.back().count += count;
    else
      bins.push_back(q);
  }
  u64 most = 1;
  for (const Bin& b : bins) most = std::max(most, b.count);
  std::vector<std::string> out;
  constexpr double kBar = 40;
  for (const Bin& b : bins) {
    const auto marks = std::max<std::size_t>(
        1, static_cast<std::size_t>(kBar * static_cast<double>(b.count) / static_cast<double>(most) + 0.5));
    out.push_back(fmt::format("{:>9} - {:<9} {:<40} {}", value(static_cast<double>(b.low) / 1000, u),
                              value(static_cast<double>(b.high) / 1000, u), std::string(marks, '#'), b.count));
  }
  return out;
}

constexpr std::size_t kNumericFirst = 2, kNumericLast = 8;  // count .. mean are right-aligned; unit is not
constexpr std::size_t kUnitColumn = 3;

}  // namespace

std::string summary_table(const Json& r, bool histograms) {
  std::string out;
  const Json& s = r["scenario"];
  const Json& tp = r["timing_profile"];
  std::string clock;
  if (tp.contains("frequency") && tp["frequency"].contains("mhz"))
    clock = fmt::format(" @ {:g} MHz", tp["frequency"]["mhz"].get<double>());
  out += fmt::format("ivsim {} | scenario {} | board {} | timing {}{}\n", r["ivsim_version"].get<std::string>(),
                     s["name"].get<std::string>(), s["board"].get<std::string>(), tp["name"].get<std::string>(), clock);

  std::vector<Row> rows;
  rows.push_back({{"workload", "metric", "count", "unit", "min", "p50", "p99", "max", "mean", "status"}, {}});
  for (const auto& w : r["workloads"]) {
    const std::string name = w["name"].get<std::string>();
    const std::string status = w["status"].get<std::string>();
    bool first = true;
    for (const auto& m : w["metrics"]) {
      const u64 count = m["count"].get<u64>();
      if (count == 0) continue;
      const Unit u = unit_for(m["max"].get<double>());
      Row row{{first ? name : "", m["name"].get<std::string>(), std::to_string(count), u.name,
               value(m["min"].get<double>(), u), value(m["p50"].get<double>(), u), value(m["p99"].get<double>(), u),
               value(m["max"].get<double>(), u), value(m["mean"].get<double>(), u), first ? status : ""},
              {}};
      std::string parts;
      for (const auto& [k, v] : m["breakdown"].items())
        if (const std::string t = value(v.get<double>(), u); t != "0.0") parts += fmt::format(" {} {}", k, t);
      if (!parts.empty()) row.notes.push_back(fmt::format("mean breakdown ({}):{}", u.name, parts));
      // The slowest 1 %, when there is a tail: what it is made of.
      if (m.contains("slowest_1pct") && count >= 100 && m["max"].get<double>() > m["p50"].get<double>() * 1.05) {
        const Json& t = m["slowest_1pct"];
        std::string tail;
        for (const auto& [k, v] : t["breakdown"].items())
          if (const std::string x = value(v.get<double>(), u); x != "0.0") tail += fmt::format(" {} {}", k, x);
        row.notes.push_back(
            fmt::format("slowest 1% ({} samples) mean breakdown ({}):{}", t["count"].get<u64>(), u.name, tail));
      }
      if (histograms && m.contains("histogram"))
        for (std::string& l : histogram_lines(m, u)) row.notes.push_back(std::move(l));
      rows.push_back(std::move(row));
      first = false;
    }
    if (first)  // nothing recorded: the workload still gets its row
      rows.push_back({{name, "-", "0", "", "", "", "", "", "", status}, {}});
    Row& last = rows.back();
    if (w.contains("values")) {
      std::string v;
      for (const auto& [k, x] : w["values"].items())
        v += fmt::format(" {} {:.4g} {}", k, x["value"].get<double>(), x["unit"].get<std::string>());
      last.notes.push_back("values:" + v);
    }
    if (w.contains("findings")) {
      u64 ok = 0, bad = 0;
      for (const auto& f : w["findings"]) (f["ok"].get<bool>() ? ok : bad) += 1;
      last.notes.push_back(fmt::format("findings: {} ok, {} not ok", ok, bad));
      for (const auto& f : w["findings"])
        if (!f["ok"].get<bool>())
          last.notes.push_back(fmt::format("  {} {}: {}", f["kind"].get<std::string>(), f["name"].get<std::string>(),
                                           f["detail"].get<std::string>()));
    }
    if (!w["counters"].empty()) {
      std::string c;
      for (const auto& [k, v] : w["counters"].items()) c += fmt::format(" {}={}", k, v.dump());
      last.notes.push_back("counters:" + c);
    }
    if (w.contains("reason") && !w["reason"].get<std::string>().empty())
      last.notes.push_back(status + ": " + w["reason"].get<std::string>());
  }

  std::vector<std::size_t> widths(rows[0].cells.size(), 0);
  for (const Row& row : rows)
    for (std::size_t c = 0; c < row.cells.size(); ++c) widths[c] = std::max(widths[c], width(row.cells[c]));
  const std::size_t indent = widths[0] + 2;
  for (const Row& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.cells.size(); ++c) {
      const bool numeric = c >= kNumericFirst && c <= kNumericLast && c != kUnitColumn;
      const bool last = c + 1 == row.cells.size();
      line += numeric ? pad_left(row.cells[c], widths[c]) : last ? row.cells[c] : pad_right(row.cells[c], widths[c]);
      if (!last) line += "  ";
    }
    line.erase(line.find_last_not_of(' ') + 1);  // a row without a status ends at its last number
    out += line + "\n";
    for (const std::string& note : row.notes) out += std::string(indent, ' ') + note + "\n";
  }

  out += "VM exits\n";
  std::size_t name_width = 0;
  for (const auto& vm : r["vms"]) name_width = std::max(name_width, width(vm["name"].get<std::string>()));
  for (const auto& vm : r["vms"]) {
    std::string e;
    for (const auto& [k, v] : vm["exits"].items())
      if (v.get<u64>() > 0) e += fmt::format("{}{}={}", e.empty() ? "" : " ", k, v.get<u64>());
    out += "  " + pad_right(vm["name"].get<std::string>(), name_width) + "  " + (e.empty() ? "none" : e) + "\n";
  }

  // A debug build's log on its serial console held the exits' pCPUs.
  if (r.contains("hv_console_log")) {
    const Json& log = r["hv_console_log"];
    out += fmt::format("hypervisor serial console: {} lines, {:.3f} ms of pCPU time; first: {}\n",
                       log["lines"].get<u64>(), log["busy_ns"].get<double>() / 1e6,
                       log["first"].empty() ? std::string() : log["first"][0].get<std::string>());
  }

  const Json& h = r["host"];
  out += fmt::format("simulated {:.3f} ms in {:.2f} s wall ({:.1f} M guest accesses/s)\n",
                     h["simulated_ns"].get<double>() / 1e6, h["wall_seconds"].get<double>(),
                     h["simulated_accesses_per_second"].get<double>() / 1e6);
  return out;
}

}  // namespace ivsim
