#include "sim/compare.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "sim/sweep_results.h"

namespace ivsim {

namespace {

const std::vector<std::string> kDefaultStats = {"p50", "p90", "p99", "p999", "max", "mean"};

struct Tolerance {
  double percent = 0;  // relative growth allowed
  double ns = 0;       // or absolute growth allowed
  bool given = false;
  std::string text() const {
    if (!given) return "0%";
    return ns > 0 ? fmt::format("{:g}ns", ns) : fmt::format("{:g}%", percent);
  }
};

std::map<std::string, Tolerance> parse_tolerance(const std::string& text) {
  const SourceLocation at{"--tolerance", 0, 0};
  std::map<std::string, Tolerance> out;
  std::size_t from = 0;
  while (from <= text.size() && !text.empty()) {
    const auto comma = text.find(',', from);
    const std::string item = text.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ConfigError(at, "",
                        "expected STAT=N% or STAT=Nns, comma-separated (e.g. p99=5%,max=20%), got '" + item + "'");
    const std::string stat = item.substr(0, eq), value = item.substr(eq + 1);
    Tolerance t;
    t.given = true;
    std::size_t pos = 0;
    double v = -1;
    try {
      v = std::stod(value, &pos);
    } catch (const std::exception&) {
    }
    const std::string unit = value.substr(std::min(pos, value.size()));
    if (!(v >= 0) || pos == 0 || (unit != "%" && unit != "ns"))
      throw ConfigError(at, stat, "expected a percentage (5%) or nanoseconds (20ns), got '" + value + "'");
    (unit == "%" ? t.percent : t.ns) = v;
    out[stat] = t;
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return out;
}

// One side of the comparison: metric values by (point label, column).
struct Side {
  bool sweep = false;
  std::string label_of_kind;
  std::vector<std::pair<std::string, std::string>> order;  // (point, column) in file order
  std::map<std::pair<std::string, std::string>, double> values;
  std::map<std::string, std::string> status;  // point (or workload) -> status, "failed: ..." when it failed
};

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Side read_side(const std::string& path) {
  std::string file = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) file = path + "/results.json";
  const SourceLocation at{file, 0, 0};
  std::ifstream probe(file);
  if (!probe) throw ConfigError(at, "", "cannot read it (a report or a sweep's results.json was expected)");
  Json j;
  try {
    j = Json::parse(slurp(file));
  } catch (const Json::parse_error& e) {
    throw ConfigError(at, "", std::string("not JSON: ") + e.what());
  }
  const std::string schema = j.is_object() ? j.value("schema", "") : "";
  Side s;
  if (schema == kSweepSchema) {
    const ResultsTable t = read_results(file);
    s.sweep = true;
    for (const auto& p : t.points) {
      std::string label;
      for (std::size_t i = 0; i < p.values.size(); ++i)
        label += (label.empty() ? "" : " ") + t.spec.vary[i].key + "=" + p.values[i];
      s.status[label] = p.ok ? "ok" : "failed: exit " + std::to_string(p.exit_status);
      for (const auto& [k, v] : p.metrics) {
        s.order.push_back({label, k});
        s.values[{label, k}] = v;
      }
    }
    return s;
  }
  if (schema != "ivsim-report/1" && schema != "ivsim-report/2")
    throw ConfigError(
        at, "schema",
        "expected an ivsim report (ivsim-report/1 or /2) or a sweep's results (ivsim-sweep/1), got '" + schema + "'");
  try {
    for (const auto& [k, v] : headline_metrics(j)) {
      s.order.push_back({"", k});
      s.values[{"", k}] = v;
    }
    for (const auto& w : j.at("workloads")) s.status[w.at("name").get<std::string>()] = w.at("status");
  } catch (const Json::exception& e) {
    throw ConfigError(at, "workloads", std::string("not a readable report (") + e.what() + ")");
  }
  return s;
}

std::string stat_of(const std::string& column) { return column.substr(column.rfind('.') + 1); }

struct Row {
  std::string point, metric, verdict, tolerance;
  double base = NAN, cand = NAN;
};

std::string num(double v) { return std::isnan(v) ? "-" : fmt::format("{:.3f}", v); }

}  // namespace

int compare(const CompareOptions& o) {
  const auto tolerance = parse_tolerance(o.tolerance);
  const Side base = read_side(o.baseline), cand = read_side(o.candidate);
  if (base.sweep != cand.sweep)
    throw ConfigError({o.candidate, 0, 0}, "schema",
                      std::string("is a ") + (cand.sweep ? "sweep's results" : "report") + " but the baseline is a " +
                          (base.sweep ? "sweep's results" : "report") + ": compare like with like");
  const std::vector<std::string> wanted = o.metrics.empty() ? kDefaultStats : o.metrics;
  auto selected = [&](const std::string& column) {
    for (const auto& w : wanted)
      if (column == w || stat_of(column) == w) return true;
    return false;
  };
  for (const auto& w : wanted) {
    bool any = false;
    for (const auto& [key, v] : base.values) any = any || key.second == w || stat_of(key.second) == w;
    if (!any) throw ConfigError({"--metrics", 0, 0}, "", "the baseline has no metric '" + w + "'");
  }

  std::vector<Row> rows;
  int regressions = 0;
  // A workload or point that completed in the baseline and not in the candidate.
  for (const auto& [what, status] : base.status) {
    const auto c = cand.status.find(what);
    const std::string now = c == cand.status.end() ? "missing" : c->second;
    const bool good = status == "completed" || status == "ok";
    const bool still = now == "completed" || now == "ok";
    if (good && !still) {
      rows.push_back({what, "status", "REGRESSION", "", NAN, NAN});
      rows.back().metric = "status: " + status + " -> " + now;
      ++regressions;
    }
  }
  for (const auto& key : base.order) {
    if (!selected(key.second)) continue;
    Row r{key.first, key.second, "", "", base.values.at(key), NAN};
    const auto it = cand.values.find(key);
    const Tolerance tol = tolerance.count(stat_of(key.second)) ? tolerance.at(stat_of(key.second)) : Tolerance{};
    r.tolerance = tol.text();
    if (it == cand.values.end()) {
      r.verdict = "MISSING";
    } else {
      r.cand = it->second;
      const double delta = r.cand - r.base;
      const bool within = delta <= tol.ns || (r.base > 0 && delta / r.base * 100.0 <= tol.percent + 1e-9);
      r.verdict = delta < 0 ? "better" : within ? "ok" : "REGRESSION";
    }
    if (r.verdict == "REGRESSION" || r.verdict == "MISSING") ++regressions;
    rows.push_back(r);
  }
  for (const auto& key : cand.order)
    if (selected(key.second) && !base.values.count(key))
      rows.push_back({key.first, key.second, "new", "", NAN, cand.values.at(key)});

  if (o.json) {
    Json out = {{"schema", "ivsim-compare/1"},
                {"baseline", o.baseline},
                {"candidate", o.candidate},
                {"regressions", regressions}};
    Json list = Json::array();
    for (const auto& r : rows) {
      Json j;
      if (!r.point.empty()) j["point"] = r.point;
      j["metric"] = r.metric;
      j["baseline"] = std::isnan(r.base) ? Json() : Json(r.base);
      j["candidate"] = std::isnan(r.cand) ? Json() : Json(r.cand);
      const bool both = !std::isnan(r.base) && !std::isnan(r.cand);
      j["delta"] = both ? Json(r.cand - r.base) : Json();
      j["delta_percent"] = both && r.base != 0 ? Json((r.cand - r.base) / r.base * 100.0) : Json();
      j["tolerance"] = r.tolerance;
      j["verdict"] = r.verdict;
      list.push_back(j);
    }
    out["rows"] = list;
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::vector<std::vector<std::string>> table = {
        {base.sweep ? "point" : "", "metric", "baseline", "candidate", "delta", "delta%", "tolerance", "verdict"}};
    for (const auto& r : rows) {
      const bool both = !std::isnan(r.base) && !std::isnan(r.cand);
      table.push_back({r.point, r.metric, num(r.base), num(r.cand),
                       both ? fmt::format("{:+.3f}", r.cand - r.base) : "-",
                       both && r.base != 0 ? fmt::format("{:+.2f}%", (r.cand - r.base) / r.base * 100.0) : "-",
                       r.tolerance, r.verdict});
    }
    std::vector<std::size_t> width(table[0].size(), 0);
    for (const auto& line : table)
      for (std::size_t c = 0; c < line.size(); ++c) width[c] = std::max(width[c], line[c].size());
    for (const auto& line : table) {
      std::string s;
      for (std::size_t c = base.sweep ? 0 : 1; c < line.size(); ++c) {
        const bool right = c >= 2 && c <= 5;
        s += right ? fmt::format("{:>{}}  ", line[c], width[c]) : fmt::format("{:<{}}  ", line[c], width[c]);
      }
      while (!s.empty() && s.back() == ' ') s.pop_back();
      std::printf("%s\n", s.c_str());
    }
    std::printf("%s: %d regression%s (values in ns)\n", regressions ? "FAIL" : "ok", regressions,
                regressions == 1 ? "" : "s");
  }
  return regressions ? kExitRegression : 0;
}

}  // namespace ivsim
