#include "sim/sweep_results.h"

#include <sys/stat.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace ivsim {

namespace {

constexpr const char* kStats[] = {"count", "min", "p50", "p90", "p99", "p999", "max", "mean"};
constexpr const char* kMemoryCounts[] = {"write_backs", "flush_write_backs", "queued", "refresh_waits"};

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string o = "\"";
  for (const char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

std::string number(double v) {
  if (v == static_cast<double>(static_cast<long long>(v)) && std::abs(v) < 1e15)
    return std::to_string(static_cast<long long>(v));
  return Json(v).dump();
}

}  // namespace

std::vector<std::pair<std::string, double>> headline_metrics(const Json& report) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& w : report.at("workloads")) {
    const std::string wn = w.at("name");
    for (const auto& m : w.at("metrics")) {
      const std::string prefix = wn + "." + m.at("name").get<std::string>() + ".";
      for (const char* s : kStats)
        if (m.contains(s)) out.emplace_back(prefix + s, m.at(s).get<double>());
    }
  }
  out.emplace_back("simulated_ns", report.at("simulated_ns").get<double>());
  // What the memory did (counts); a report written before it had none.
  if (report.contains("memory"))
    for (const char* k : kMemoryCounts)
      out.emplace_back(std::string("memory.") + k, report["memory"].at(k).get<double>());
  return out;
}

std::string metric_unit(const std::string& column) {
  if (column.rfind("memory.", 0) == 0) return "";
  const auto dot = column.rfind('.');
  return column.substr(dot == std::string::npos ? 0 : dot + 1) == "count" ? "" : "ns";
}

Json point_to_json(const SweepSpec& spec, const PointResult& p) {
  Json values = Json::object();
  for (std::size_t i = 0; i < spec.vary.size(); ++i) values[spec.vary[i].key] = value_json(p.values[i]);
  Json metrics = Json::object();
  // Whole numbers (counts) print as such.
  for (const auto& [k, v] : p.metrics)
    metrics[k] = v == static_cast<double>(static_cast<long long>(v)) && std::abs(v) < 1e15
                     ? Json(static_cast<long long>(v))
                     : Json(v);
  Json j = {{"index", p.index}, {"values", values}, {"status", p.ok ? "ok" : "failed"}, {"exit_status", p.exit_status}};
  if (!p.ok) j["message"] = p.message;
  j["metrics"] = metrics;
  return j;
}

PointResult point_from_json(const SweepSpec& spec, const Json& j, const SourceLocation& where) {
  try {
    PointResult p;
    p.index = j.at("index").get<std::size_t>();
    if (p.index >= spec.points()) throw ConfigError(where, "points", "point index out of range");
    p.values = spec.values(p.index);
    p.ok = j.at("status") == "ok";
    p.exit_status = j.at("exit_status").get<int>();
    if (j.contains("message")) p.message = j.at("message").get<std::string>();
    for (const auto& [k, v] : j.at("metrics").items()) p.metrics.emplace_back(k, v.get<double>());
    return p;
  } catch (const Json::exception& e) {
    throw ConfigError(where, "points", std::string("not a sweep point (") + e.what() + ")");
  }
}

Json results_json(const ResultsTable& t) {
  // Units of every metric column, in order of first appearance.
  Json units = Json::object();
  for (const auto& p : t.points)
    for (const auto& [k, v] : p.metrics)
      if (!units.contains(k)) units[k] = metric_unit(k);
  Json points = Json::array();
  for (const auto& p : t.points) points.push_back(point_to_json(t.spec, p));
  Json j = {{"schema", kSweepSchema}, {"sweep", t.spec.to_json()}, {"points_total", t.points_total}};
  if (!t.shard.empty()) j["shard"] = t.shard;
  j["units"] = units;
  j["points"] = points;
  return j;
}

std::string results_csv(const ResultsTable& t) {
  std::vector<std::string> columns;
  std::set<std::string> seen;
  for (const auto& p : t.points)
    for (const auto& [k, v] : p.metrics)
      if (seen.insert(k).second) columns.push_back(k);
  std::string out = "index";
  for (const auto& v : t.spec.vary) out += "," + csv_field(v.key);
  out += ",status,exit_status,message";
  for (const auto& c : columns) out += "," + csv_field(c);
  out += "\n";
  for (const auto& p : t.points) {
    out += std::to_string(p.index);
    for (const auto& v : p.values) out += "," + csv_field(v);
    out +=
        std::string(",") + (p.ok ? "ok" : "failed") + "," + std::to_string(p.exit_status) + "," + csv_field(p.message);
    std::map<std::string, double> m(p.metrics.begin(), p.metrics.end());
    for (const auto& c : columns) {
      const auto it = m.find(c);
      out += "," + (it != m.end() ? number(it->second) : std::string());
    }
    out += "\n";
  }
  return out;
}

ResultsTable read_results(const std::string& path) {
  std::string file = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) file = path + "/results.json";
  const SourceLocation at{file, 0, 0};
  std::ifstream in(file);
  if (!in) throw ConfigError(at, "", "cannot read it (a sweep's results.json, or its folder, was expected)");
  std::stringstream ss;
  ss << in.rdbuf();
  Json j;
  try {
    j = Json::parse(ss.str());
  } catch (const Json::parse_error& e) {
    throw ConfigError(at, "", std::string("not JSON: ") + e.what());
  }
  if (!j.is_object() || !j.contains("schema") || j["schema"] != kSweepSchema)
    throw ConfigError(at, "schema", std::string("expected \"") + kSweepSchema + "\" (a sweep's results.json)");
  ResultsTable t;
  t.spec = SweepSpec::from_json(j.value("sweep", Json::object()), at);
  t.points_total = t.spec.points();
  if (j.contains("shard") && j["shard"].is_string()) t.shard = j["shard"];
  if (!j.contains("points") || !j["points"].is_array()) throw ConfigError(at, "points", "expected a list of points");
  for (const auto& p : j["points"]) t.points.push_back(point_from_json(t.spec, p, at));
  return t;
}

}  // namespace ivsim
