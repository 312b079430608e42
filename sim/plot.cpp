#include "sim/plot.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "sim/atomic_file.h"
#include "sim/sweep_results.h"

namespace ivsim {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The last component of a key path: workloads[0].params.message_bytes -> message_bytes.
std::string short_key(const std::string& key) {
  const auto at = key.find_last_of(".]");
  return at == std::string::npos ? key : key.substr(at + 1);
}

// The unit a field's name gives, for an axis label.
std::string key_unit(const std::string& key) {
  static const std::pair<const char*, const char*> kSuffixes[] = {
      {"_bytes", "bytes"},   {"_ns", "ns"},   {"_us", "µs"},  {"_ms", "ms"},
      {"_cycles", "cycles"}, {"_mib", "MiB"}, {"_mhz", "MHz"}};
  for (const auto& [suffix, unit] : kSuffixes)
    if (ends_with(key, suffix)) return unit;
  return "";
}

std::string with_unit(const std::string& name, const std::string& unit) {
  return unit.empty() ? name : name + " (" + unit + ")";
}

// A name the user gave: exact, or the one candidate it is the last part of.
std::string pick(const std::vector<std::string>& candidates, const std::string& given, const char* option,
                 const char* what) {
  std::vector<std::string> hits;
  for (const auto& c : candidates) {
    if (c == given) return c;
    if (ends_with(c, "." + given) || ends_with(c, "]." + given) || short_key(c) == given) hits.push_back(c);
  }
  if (hits.size() == 1) return hits[0];
  std::string list;
  for (const auto& c : (hits.empty() ? candidates : hits)) list += (list.empty() ? "" : ", ") + c;
  throw ConfigError({option, 0, 0}, "",
                    std::string(hits.empty() ? "no " : "more than one ") + what + " matches '" + given + "' (" +
                        (hits.empty() ? "there are: " : "give one of: ") + list + ")");
}

bool number(const std::string& s, double& v) {
  const Json j = value_json(s);
  if (!j.is_number()) return false;
  v = j.get<double>();
  return true;
}

bool power_of_two(double v) {
  return v >= 1 && v == std::floor(v) && ((static_cast<u64>(v) & (static_cast<u64>(v) - 1)) == 0);
}

// "linear", "log2" (integer powers of two over a decade or more) or "log10"
// (positive values spanning a decade or more).
std::string scale_for(const std::vector<double>& v, bool allow_log2) {
  if (v.empty()) return "linear";
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  if (*lo <= 0 || *hi / *lo < 10) return "linear";
  if (allow_log2 && std::all_of(v.begin(), v.end(), power_of_two)) return "log2";
  return "log10";
}

std::string python() {
  if (const char* p = std::getenv("IVSIM_PYTHON")) return p;
  // Debian's matplotlib is installed for the system interpreter.
  return ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

// Runs the plotting script on `figure`, writes the result to `out`.
void draw(const Json& figure, const std::string& out) {
  char dir_template[] = "/tmp/ivsim-plot-XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  if (!dir) throw std::runtime_error("cannot create a temporary folder for the plot");
  const std::string d = dir, spec = d + "/figure.json", img = d + "/figure." + figure["format"].get<std::string>(),
                    log = d + "/python.log";
  { std::ofstream(spec) << figure.dump(); }
  const std::string py = python();
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (std::freopen(log.c_str(), "w", stderr) == nullptr) ::_exit(126);
    if (std::freopen("/dev/null", "w", stdout) == nullptr) ::_exit(126);
    ::execlp(py.c_str(), py.c_str(), "-c", kPlotScript, spec.c_str(), img.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int st = 0;
  while (pid > 0 && ::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  const int code = pid < 0 ? 127 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  const std::string said = slurp(log), image = code == 0 ? slurp(img) : "";
  std::system(("rm -rf '" + d + "'").c_str());
  if (code == 127)
    throw std::runtime_error("ivsim plot needs " + py + " (scripts/install-deps.sh installs python3-matplotlib)");
  if (code != 0) {
    if (said.find("No module named 'matplotlib'") != std::string::npos)
      throw std::runtime_error("ivsim plot needs matplotlib for " + py +
                               " (scripts/install-deps.sh installs python3-matplotlib)");
    throw std::runtime_error("the plotting script failed:\n" + said);
  }
  write_file_atomic(out, image);
}

Json sweep_figure(const PlotOptions& o) {
  const ResultsTable t = read_results(o.input);
  std::vector<std::string> keys;
  for (const auto& v : t.spec.vary) keys.push_back(v.key);
  auto index_of = [&](const std::string& k) {
    return static_cast<std::size_t>(std::find(keys.begin(), keys.end(), k) - keys.begin());
  };
  const std::size_t xi = index_of(pick(keys, o.x, "--x", "varied key"));
  std::vector<std::size_t> gi;
  for (const auto& g : o.group) gi.push_back(index_of(pick(keys, g, "--group", "varied key")));
  std::map<std::size_t, std::string> where;
  for (const auto& w : o.where) {
    const auto eq = w.find('=');
    if (eq == std::string::npos) throw ConfigError({"--where", 0, 0}, "", "expected key=value, got '" + w + "'");
    where[index_of(pick(keys, w.substr(0, eq), "--where", "varied key"))] = w.substr(eq + 1);
  }
  std::vector<const PointResult*> points;
  for (const auto& p : t.points) {
    bool keep = true;
    for (const auto& [k, v] : where) keep = keep && p.values[k] == v;
    if (keep) points.push_back(&p);
  }
  if (points.empty()) throw ConfigError({"--where", 0, 0}, "", "no point of " + o.input + " is left to plot");
  // Every other varied key must be fixed, or the lines would zigzag.
  for (std::size_t k = 0; k < keys.size(); ++k) {
    if (k == xi || where.count(k) || std::count(gi.begin(), gi.end(), k)) continue;
    std::set<std::string> seen;
    for (const auto* p : points) seen.insert(p->values[k]);
    if (seen.size() > 1)
      throw ConfigError({"--x", 0, 0}, "",
                        "the sweep also varies " + keys[k] + ": give --group " + short_key(keys[k]) + " or --where " +
                            short_key(keys[k]) + "=" + *seen.begin());
  }
  std::vector<std::string> columns;
  for (const auto& p : t.points)
    for (const auto& [k, v] : p.metrics)
      if (std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);
  if (columns.empty()) throw ConfigError({"--y", 0, 0}, "", "no point of " + o.input + " has metrics (all failed?)");
  const std::string y = pick(columns, o.y, "--y", "metric");
  const std::string family = y.substr(0, y.rfind('.') + 1);
  if (o.error_bars && (family.empty() || std::find(columns.begin(), columns.end(), family + "p99") == columns.end()))
    throw ConfigError({"--error-bars", 0, 0}, "", "needs a latency metric with p50 and p99, not " + y);

  // X: numbers when every value is one, else categories in sweep order.
  bool numeric = true;
  for (const auto& v : t.spec.vary[xi].values) {
    double d;
    numeric = numeric && number(v, d);
  }
  auto xval = [&](const std::string& v) {
    double d = 0;
    if (numeric) {
      number(v, d);
      return d;
    }
    const auto& vals = t.spec.vary[xi].values;
    return static_cast<double>(std::find(vals.begin(), vals.end(), v) - vals.begin());
  };

  Json series = Json::array();
  std::map<std::string, std::size_t> series_of;
  std::vector<double> xs, ys;
  bool any_failed = false;
  for (const auto* p : points) {
    std::string label;
    for (const std::size_t g : gi) label += (label.empty() ? "" : ", ") + short_key(keys[g]) + "=" + p->values[g];
    if (label.empty()) label = short_key(y);
    auto [it, added] = series_of.emplace(label, series.size());
    if (added)
      series.push_back({{"label", label},
                        {"x", Json::array()},
                        {"y", Json::array()},
                        {"failed_x", Json::array()},
                        {"failed_label", label + ": failed"},
                        {"err_low", nullptr},
                        {"err_high", nullptr}});
    Json& s = series[it->second];
    const double x = xval(p->values[xi]);
    xs.push_back(x);
    std::map<std::string, double> m(p->metrics.begin(), p->metrics.end());
    if (!p->ok) {
      s["failed_x"].push_back(x);
      s["failed_label"] = label + ": failed (exit " + std::to_string(p->exit_status) + ")";
      any_failed = true;
      continue;
    }
    if (!m.count(y)) continue;
    s["x"].push_back(x);
    s["y"].push_back(m[y]);
    ys.push_back(m[y]);
    if (o.error_bars) {
      if (s["err_low"].is_null()) s["err_low"] = s["err_high"] = Json::array();
      const double lo = m.count(family + "p50") ? m[family + "p50"] : m[y];
      const double hi = m.count(family + "p99") ? m[family + "p99"] : m[y];
      s["err_low"].push_back(std::max(0.0, m[y] - lo));
      s["err_high"].push_back(std::max(0.0, hi - m[y]));
      ys.push_back(lo);
      ys.push_back(hi);
    }
  }
  Json f = {{"kind", "lines"}, {"series", series}};
  f["xscale"] = numeric ? scale_for(xs, true) : "linear";
  f["yscale"] = scale_for(ys, false);
  if (!numeric || f["xscale"] == "log2") {
    // Ticks at the swept values, labelled as given.
    std::set<double> ticks(xs.begin(), xs.end());
    Json tv = Json::array(), tl = Json::array();
    for (const double v : ticks) {
      tv.push_back(v);
      tl.push_back(numeric ? Json(v).dump() : t.spec.vary[xi].values[static_cast<std::size_t>(v)]);
      if (numeric && v == std::floor(v)) tl.back() = std::to_string(static_cast<long long>(v));
    }
    f["xticks"] = tv;
    f["xticklabels"] = tl;
  }
  // Failed points sit on the bottom edge, marked x, in their line's colour.
  if (any_failed) {
    const double lo = ys.empty() ? 1 : *std::min_element(ys.begin(), ys.end());
    f["failed_y"] = f["yscale"] == "log10" ? lo / 2 : 0.0;
    if (f["yscale"] == "linear") f["ylim_bottom"] = 0.0;
  }
  f["xlabel"] = with_unit(short_key(keys[xi]), key_unit(keys[xi]));
  std::string ylabel = y;
  for (auto& c : ylabel)
    if (c == '.') c = ' ';
  f["ylabel"] = with_unit(ylabel, metric_unit(y)) + (o.error_bars ? ", bars p50 to p99" : "");
  f["title"] = o.title.empty() ? y + " vs " + short_key(keys[xi]) : o.title;
  return f;
}

Json histogram_figure(const PlotOptions& o) {
  const SourceLocation at{o.input, 0, 0};
  Json r;
  try {
    r = Json::parse(slurp(o.input));
  } catch (const Json::parse_error& e) {
    throw ConfigError(at, "", std::string("not a JSON report: ") + e.what());
  }
  const std::string schema = r.is_object() ? r.value("schema", "") : "";
  if (schema == "ivsim-report/1")
    throw ConfigError(at, "schema",
                      "an ivsim-report/1 report has no histograms: run the scenario again with this ivsim");
  if (schema.rfind("ivsim-report/", 0) != 0)
    throw ConfigError(at, "schema", "expected an ivsim report (ivsim run --report), got '" + schema + "'");
  std::vector<std::string> names;
  std::map<std::string, Json> metrics;
  for (const auto& w : r.at("workloads"))
    for (const auto& m : w.at("metrics")) {
      const std::string n = w.at("name").get<std::string>() + "." + m.at("name").get<std::string>();
      names.push_back(n);
      metrics[n] = m;
    }
  if (names.empty()) throw ConfigError(at, "workloads", "the report has no metrics");
  const std::string name = pick(names, o.histogram, "--histogram", "metric");
  const Json& m = metrics[name];
  if (!m.contains("histogram") || m["histogram"]["bins"].empty())
    throw ConfigError(at, "workloads", name + " recorded no samples");
  Json f = {{"kind", "histogram"}, {"bins", m["histogram"]["bins"]}, {"unit", m.value("unit", "ns")}};
  f["marks"] = Json::array({Json::array({"p50", m["p50"], "--"}), Json::array({"p99", m["p99"], ":"})});
  std::vector<double> edges;
  for (const auto& b : m["histogram"]["bins"]) {
    edges.push_back(b[0].get<double>());
    edges.push_back(b[1].get<double>());
  }
  f["xscale"] = scale_for(edges, false);
  f["yscale"] = "linear";
  f["xlabel"] = with_unit(name, m.value("unit", "ns"));
  f["ylabel"] = "samples";
  f["title"] = o.title.empty() ? name + ": " + std::to_string(m["count"].get<long long>()) + " samples" : o.title;
  return f;
}

}  // namespace

void plot(const PlotOptions& o) {
  const SourceLocation out_at{"--out", 0, 0};
  std::string format;
  if (ends_with(o.out, ".png")) format = "png";
  if (ends_with(o.out, ".svg")) format = "svg";
  if (format.empty()) throw ConfigError(out_at, "", "FILE.png or FILE.svg expected, got '" + o.out + "'");
  check_output_file(o.out, out_at);
  if (o.histogram.empty() && (o.x.empty() || o.y.empty()))
    throw ConfigError({"--x", 0, 0}, "",
                      "a sweep's plot needs --x KEY and --y METRIC (or --histogram METRIC for a report)");
  Json figure = o.histogram.empty() ? sweep_figure(o) : histogram_figure(o);
  figure["format"] = format;
  draw(figure, o.out);
}

}  // namespace ivsim
