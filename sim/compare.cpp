#include "sim/compare.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <pugixml.hpp>

#include "sim/atomic_file.h"
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

// One run on one side: metric values by (point label, column).
using Key = std::pair<std::string, std::string>;
struct Sample {
  std::string path;  // as given
  std::string file;  // what was read: a folder's results.json
  bool sweep = false;
  Json seed;               // the run's seed (a sweep's --seed), null when it names none
  Json identity;           // what the run simulated, its seed left out
  std::vector<Key> order;  // (point, column) in file order
  std::map<Key, double> values;
  std::map<std::string, std::string> status;  // point (or workload) -> status, "failed: ..." when it failed
};

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Sample read_sample(const std::string& path) {
  const std::string file = is_dir(path) ? path + "/results.json" : path;
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
  Sample s;
  s.path = path;
  s.file = file;
  if (schema == kSweepSchema) {
    const ResultsTable t = read_results(file);
    s.sweep = true;
    SweepSpec spec = t.spec;
    auto& args = spec.run_args;
    // The seed, given as --seed N or --set run.seed=N, is what may differ
    // between a side's sweeps; the rest of the definition may not.
    for (std::size_t i = 0; i + 1 < args.size();) {
      std::string seed;
      if (args[i] == "--seed")
        seed = args[i + 1];
      else if (args[i] == "--set" && args[i + 1].rfind("run.seed=", 0) == 0)
        seed = args[i + 1].substr(9);
      else {
        ++i;
        continue;
      }
      // A number as in a report's scenario.run.seed, so both list alike.
      s.seed = !seed.empty() && seed.find_first_not_of("0123456789") == std::string::npos && seed.size() < 19
                   ? Json(std::stoull(seed))
                   : Json(seed);
      args.erase(args.begin() + i, args.begin() + i + 2);
    }
    s.identity = spec.to_json();
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
  if (j.contains("scenario") && j["scenario"].is_object()) {
    s.identity = Json{{"scenario", j["scenario"]}};
    if (s.identity["scenario"].contains("run")) {
      Json& run = s.identity["scenario"]["run"];
      s.seed = run.value("seed", Json());
      run.erase("seed");
    }
  }
  return s;
}

// A value as the scenario would give it: strings without quotes.
std::string text(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// The first field where a and b differ, as a --set path, with each value
// ("absent" where one lacks it); false when they are equal.
bool first_difference(const Json& a, const Json& b, const std::string& path, std::string& where, std::string& va,
                      std::string& vb) {
  if (a == b) return false;
  auto field = [&](const std::string& k) { return path.empty() ? k : path + "." + k; };
  if (a.is_object() && b.is_object()) {
    for (const auto& [k, v] : a.items()) {
      if (!b.contains(k)) return where = field(k), va = text(v), vb = "absent", true;
      if (first_difference(v, b[k], field(k), where, va, vb)) return true;
    }
    for (const auto& [k, v] : b.items())
      if (!a.contains(k)) return where = field(k), va = "absent", vb = text(v), true;
  }
  if (a.is_array() && b.is_array()) {
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
      const std::string at = path + "[" + std::to_string(i) + "]";
      if (i >= b.size()) return where = at, va = text(a[i]), vb = "absent", true;
      if (i >= a.size()) return where = at, va = "absent", vb = text(b[i]), true;
      if (first_difference(a[i], b[i], at, where, va, vb)) return true;
    }
  }
  where = path, va = text(a), vb = text(b);
  return true;
}

// One side of the comparison: its runs, and per (point, column) the value of
// each run that has it.
struct Side {
  bool sweep = false;
  std::vector<std::string> files;
  Json seeds = Json::array();
  std::vector<Key> order;  // first seen
  std::map<Key, std::vector<double>> values;
  std::map<std::string, std::string> status;  // the worst run's status ("... (seed N)" with several runs)
  std::size_t runs() const { return files.size(); }
};

bool good(const std::string& status) { return status == "completed" || status == "ok"; }

// The files a side names: a report or results.json as given; a folder with a
// sweep's results.json that file; any other folder every *.json in it by
// name, so `ivsim run --seed N --report DIR/seed-N.json` fills a side.
std::vector<std::string> side_files(const std::vector<std::string>& given) {
  std::vector<std::string> files;
  for (const auto& path : given) {
    if (!is_dir(path) || std::ifstream(path + "/results.json").good()) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& e : std::filesystem::directory_iterator(path))
      if (e.path().extension() == ".json" && !is_dir(e.path().string())) found.push_back(e.path().string());
    if (found.empty()) throw ConfigError({path, 0, 0}, "", "holds neither a sweep's results.json nor reports (*.json)");
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

Side read_side(const std::vector<std::string>& given, const std::string& which) {
  Side side;
  std::vector<Sample> samples;
  for (const auto& file : side_files(given)) {
    Sample s = read_sample(file);
    if (!samples.empty()) {
      // Seeds measure one scenario's spread: a run of another scenario (or
      // the same seed twice) would make the spread mean something else.
      const Sample& first = samples.front();
      const SourceLocation at{s.file, 0, 0};
      if (s.sweep != first.sweep)
        throw ConfigError(at, "schema",
                          std::string("is a ") + (s.sweep ? "sweep's results" : "report") + " but " + first.file +
                              " is a " + (first.sweep ? "sweep's results" : "report") + ": the " + which +
                              "'s runs must be of one scenario with different seeds");
      std::string where, here, there;
      if (first_difference(s.identity, first.identity, "", where, here, there))
        throw ConfigError(at, where,
                          "is " + here + " here but " + there + " in " + first.file + ": the " + which +
                              "'s runs must be of one scenario with different seeds");
      for (const auto& other : samples)
        if (!s.seed.is_null() && s.seed == other.seed)
          throw ConfigError(at, s.sweep ? "--seed" : "scenario.run.seed",
                            "is " + text(s.seed) + " as in " + other.file +
                                ": the same seed gives the same run; give each its own --seed");
    }
    samples.push_back(std::move(s));
  }
  side.sweep = samples.front().sweep;
  for (const auto& s : samples) {
    side.files.push_back(s.path);
    side.seeds.push_back(s.seed);
    for (const auto& key : s.order) {
      auto& v = side.values[key];
      if (v.empty()) side.order.push_back(key);
      v.push_back(s.values.at(key));
    }
  }
  std::set<std::string> all;
  for (const auto& s : samples)
    for (const auto& [what, st] : s.status) all.insert(what);
  for (const auto& what : all)
    for (const auto& s : samples) {
      const auto it = s.status.find(what);
      std::string st = it == s.status.end() ? "missing" : it->second;
      if (!good(st) && samples.size() > 1) st += " (seed " + (s.seed.is_null() ? "unset" : text(s.seed)) + ")";
      auto& worst = side.status[what];
      if (worst.empty() || (good(worst) && !good(st))) worst = st;
    }
  return side;
}

std::string stat_of(const std::string& column) { return column.substr(column.rfind('.') + 1); }

// A row's values over one side's runs.
struct Spread {
  std::size_t n = 0;
  double mean = NAN, min = NAN, max = NAN;
  static Spread of(const std::vector<double>& v) {
    Spread s;
    s.n = v.size();
    if (v.empty()) return s;
    s.min = *std::min_element(v.begin(), v.end());
    s.max = *std::max_element(v.begin(), v.end());
    double sum = 0;
    for (double x : v) sum += x;
    s.mean = sum / v.size();
    return s;
  }
};

struct Row {
  std::string point, metric, verdict, tolerance;
  Spread base, cand;
  bool status = false;  // a workload's or point's status, not a metric
};

std::string num(double v) { return std::isnan(v) ? "-" : fmt::format("{:.3f}", v); }

const char* kRule =
    "a statistic regresses when the candidate's minimum over its seeds exceeds the baseline's maximum over its "
    "seeds by more than the tolerance";

// Why a row failed, for a JUnit <failure>.
std::string failure_message(const Row& r, bool seeds) {
  if (r.status) return r.metric;
  if (r.verdict == "MISSING")
    return seeds ? fmt::format("a candidate run lacks it ({} of {} have it)", r.cand.n, r.base.n)
                 : std::string("the candidate lacks it");
  if (!seeds)
    return fmt::format("{} ns -> {} ns ({:+.3f} ns, {:+.2f}%), tolerance {}", num(r.base.mean), num(r.cand.mean),
                       r.cand.mean - r.base.mean, (r.cand.mean - r.base.mean) / r.base.mean * 100.0, r.tolerance);
  return fmt::format(
      "the candidate's minimum {} ns over {} seeds exceeds the baseline's maximum {} ns over {} seeds (mean {} ns, "
      "spread +{:.3f} ns) by more than the tolerance {}",
      num(r.cand.min), r.cand.n, num(r.base.max), r.base.n, num(r.base.mean), std::max(0.0, r.base.max - r.base.mean),
      r.tolerance);
}

std::string junit_xml(const std::vector<Row>& rows, int regressions, const Side& base, const Side& cand, bool seeds) {
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node suites = doc.append_child("testsuites");
  suites.append_attribute("name") = "ivsim compare";
  pugi::xml_node suite = suites.append_child("testsuite");
  suite.append_attribute("name") = "ivsim compare";
  suite.append_attribute("tests") = static_cast<unsigned>(rows.size());
  suite.append_attribute("failures") = regressions;
  suite.append_attribute("errors") = 0;
  suite.append_attribute("skipped") =
      static_cast<unsigned>(std::count_if(rows.begin(), rows.end(), [](const Row& r) { return r.verdict == "new"; }));
  pugi::xml_node props = suite.append_child("properties");
  auto property = [&](const char* name, const std::string& value) {
    pugi::xml_node p = props.append_child("property");
    p.append_attribute("name") = name;
    p.append_attribute("value") = value.c_str();
  };
  auto joined = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
    return s;
  };
  property("baseline", joined(base.files));
  property("candidate", joined(cand.files));
  if (seeds) {
    property("baseline_seeds", base.seeds.dump());
    property("candidate_seeds", cand.seeds.dump());
    property("rule", kRule);
  }
  for (const auto& r : rows) {
    pugi::xml_node tc = suite.append_child("testcase");
    tc.append_attribute("classname") = r.point.empty() ? "ivsim compare" : ("ivsim compare " + r.point).c_str();
    tc.append_attribute("name") = r.status ? "status" : r.metric.c_str();
    if (r.verdict == "REGRESSION" || r.verdict == "MISSING") {
      pugi::xml_node f = tc.append_child("failure");
      f.append_attribute("type") = r.verdict.c_str();
      f.append_attribute("message") = failure_message(r, seeds).c_str();
    } else if (r.verdict == "new") {
      tc.append_child("skipped").append_attribute("message") = "new: only the candidate has it";
    }
  }
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

}  // namespace

int compare(const CompareOptions& o) {
  const auto tolerance = parse_tolerance(o.tolerance);
  // Before reading anything: a JUnit file that cannot be written is bad input.
  if (!o.junit.empty()) check_output_file(o.junit, {"--junit", 0, 0});
  const Side base = read_side(o.baseline, "baseline"), cand = read_side(o.candidate, "candidate");
  if (base.sweep != cand.sweep)
    throw ConfigError({cand.files.front(), 0, 0}, "schema",
                      std::string("is a ") + (cand.sweep ? "sweep's results" : "report") + " but the baseline is a " +
                          (base.sweep ? "sweep's results" : "report") + ": compare like with like");
  // One run a side compares value against value, as always; several say how
  // they judged (seeds, spread) in the table and the JSON.
  const bool seeds = base.runs() > 1 || cand.runs() > 1;
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
    if (good(status) && !good(now)) {
      Row r;
      r.point = what;
      r.metric = "status: " + status + " -> " + now;
      r.verdict = "REGRESSION";
      r.status = true;
      rows.push_back(r);
      ++regressions;
    }
  }
  for (const auto& key : base.order) {
    if (!selected(key.second)) continue;
    Row r;
    r.point = key.first;
    r.metric = key.second;
    r.base = Spread::of(base.values.at(key));
    const auto it = cand.values.find(key);
    const Tolerance tol = tolerance.count(stat_of(key.second)) ? tolerance.at(stat_of(key.second)) : Tolerance{};
    r.tolerance = tol.text();
    if (it == cand.values.end() || it->second.size() < cand.runs()) {
      r.verdict = "MISSING";
      if (it != cand.values.end()) r.cand.n = it->second.size();
    } else {
      // The two sides' ranges over their seeds: a regression when even the
      // candidate's best seed is worse than the baseline's worst, beyond the
      // tolerance (a few seeds' means still overlap by chance). With one run
      // a side, simply candidate against baseline.
      r.cand = Spread::of(it->second);
      const double excess = r.cand.min - r.base.max;
      const bool within = excess <= tol.ns || (r.base.max > 0 && excess / r.base.max * 100.0 <= tol.percent + 1e-9);
      r.verdict = r.cand.max < r.base.min ? "better" : within ? "ok" : "REGRESSION";
    }
    if (r.verdict == "REGRESSION" || r.verdict == "MISSING") ++regressions;
    rows.push_back(r);
  }
  for (const auto& key : cand.order)
    if (selected(key.second) && !base.values.count(key)) {
      Row r;
      r.point = key.first;
      r.metric = key.second;
      r.verdict = "new";
      r.cand = Spread::of(cand.values.at(key));
      rows.push_back(r);
    }

  if (!o.junit.empty()) write_file_atomic(o.junit, junit_xml(rows, regressions, base, cand, seeds));

  auto nullable = [](double v) { return std::isnan(v) ? Json() : Json(v); };
  if (o.json) {
    Json out = {{"schema", "ivsim-compare/1"}};
    if (seeds) {
      out["baseline"] = base.files;
      out["candidate"] = cand.files;
      out["seeds"] = {{"baseline", base.seeds}, {"candidate", cand.seeds}};
      out["rule"] = kRule;
    } else {
      out["baseline"] = base.files.front();
      out["candidate"] = cand.files.front();
    }
    out["regressions"] = regressions;
    Json list = Json::array();
    for (const auto& r : rows) {
      Json j;
      if (!r.point.empty()) j["point"] = r.point;
      j["metric"] = r.metric;
      j["baseline"] = nullable(r.base.mean);
      j["candidate"] = nullable(r.cand.mean);
      const bool both = !std::isnan(r.base.mean) && !std::isnan(r.cand.mean);
      j["delta"] = both ? Json(r.cand.mean - r.base.mean) : Json();
      j["delta_percent"] = both && r.base.mean != 0 ? Json((r.cand.mean - r.base.mean) / r.base.mean * 100.0) : Json();
      if (seeds) {
        // baseline and candidate above are means over the seeds.
        j["baseline_seeds"] = r.base.n;
        j["baseline_min"] = nullable(r.base.min);
        j["baseline_max"] = nullable(r.base.max);
        j["spread"] = nullable(std::isnan(r.base.max) ? r.base.max : std::max(0.0, r.base.max - r.base.mean));
        j["candidate_seeds"] = r.cand.n;
        j["candidate_min"] = nullable(r.cand.min);
        j["candidate_max"] = nullable(r.cand.max);
      }
      j["tolerance"] = r.tolerance;
      j["verdict"] = r.verdict;
      list.push_back(j);
    }
    out["rows"] = list;
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    if (seeds) {
      auto listed = [](const Json& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : ", ") + (x.is_null() ? std::string("unset") : text(x));
        return s;
      };
      std::printf("seeds: baseline %zu (%s), candidate %zu (%s)\n", base.runs(), listed(base.seeds).c_str(),
                  cand.runs(), listed(cand.seeds).c_str());
      std::printf("baseline, candidate: means over the seeds; spread: the baseline's maximum minus its mean\n%s\n",
                  kRule);
    }
    std::vector<std::vector<std::string>> table = {
        {base.sweep ? "point" : "", "metric", "baseline", "candidate", "delta", "delta%", "tolerance", "verdict"}};
    if (seeds) table[0].insert(table[0].begin() + 6, "spread");
    for (const auto& r : rows) {
      const bool both = !std::isnan(r.base.mean) && !std::isnan(r.cand.mean);
      table.push_back(
          {r.point, r.metric, num(r.base.mean), num(r.cand.mean),
           both ? fmt::format("{:+.3f}", r.cand.mean - r.base.mean) : "-",
           both && r.base.mean != 0 ? fmt::format("{:+.2f}%", (r.cand.mean - r.base.mean) / r.base.mean * 100.0) : "-",
           r.tolerance, r.verdict});
      if (seeds)
        table.back().insert(
            table.back().begin() + 6,
            std::isnan(r.base.max) ? "-" : fmt::format("+{:.3f}", std::max(0.0, r.base.max - r.base.mean)));
    }
    const std::size_t last_number = seeds ? 6 : 5;
    std::vector<std::size_t> width(table[0].size(), 0);
    for (const auto& line : table)
      for (std::size_t c = 0; c < line.size(); ++c) width[c] = std::max(width[c], line[c].size());
    for (const auto& line : table) {
      std::string s;
      for (std::size_t c = base.sweep ? 0 : 1; c < line.size(); ++c) {
        const bool right = c >= 2 && c <= last_number;
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
