#include "sim/sweep_spec.h"

#include <cstdlib>
#include <set>

namespace ivsim {

namespace {

bool parse_unsigned(const std::string& s, unsigned& out) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  out = static_cast<unsigned>(std::stoul(s));
  return true;
}

}  // namespace

std::size_t SweepSpec::points() const {
  std::size_t n = 1;
  for (const auto& v : vary) n *= v.values.size();
  return n;
}

std::vector<std::string> SweepSpec::values(std::size_t index) const {
  std::vector<std::string> out(vary.size());
  for (std::size_t i = vary.size(); i-- > 0;) {
    out[i] = vary[i].values[index % vary[i].values.size()];
    index /= vary[i].values.size();
  }
  return out;
}

Json SweepSpec::to_json() const {
  Json v = Json::array();
  for (const auto& x : vary) v.push_back({{"key", x.key}, {"values", x.values}});
  return {{"run_args", run_args}, {"vary", v}};
}

SweepSpec SweepSpec::from_json(const Json& j, const SourceLocation& where) {
  try {
    SweepSpec s;
    s.run_args = j.at("run_args").get<std::vector<std::string>>();
    for (const auto& v : j.at("vary")) s.vary.push_back({v.at("key"), v.at("values").get<std::vector<std::string>>()});
    return s;
  } catch (const Json::exception& e) {
    throw ConfigError(where, "sweep", std::string("not a sweep definition (") + e.what() + ")");
  }
}

Vary parse_vary(const std::string& text) {
  const SourceLocation at{"--vary", 0, 0};
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError(
        at, "", "expected key.path=v1,v2,... (e.g. workloads[0].params.message_bytes=64,4096), got '" + text + "'");
  Vary v{text.substr(0, eq), {}};
  const std::string list = text.substr(eq + 1);
  std::set<std::string> seen;
  std::size_t from = 0;
  for (;;) {
    const auto comma = list.find(',', from);
    const std::string value = list.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    if (value.empty()) throw ConfigError(at, v.key, "an empty value in '" + list + "'");
    if (!seen.insert(value).second) throw ConfigError(at, v.key, "the value '" + value + "' is given twice");
    v.values.push_back(value);
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return v;
}

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  Shard s;
  if (slash == std::string::npos || !parse_unsigned(text.substr(0, slash), s.index) ||
      !parse_unsigned(text.substr(slash + 1), s.count) || s.count == 0 || s.index >= s.count)
    throw ConfigError({"--shard", 0, 0}, "", "expected I/N with 0 <= I < N (e.g. 0/4), got '" + text + "'");
  return s;
}

Shard shard_from_environment() {
  const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
  if (!id || !count) return {};
  const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
  unsigned i = 0, n = 0, m = 0;
  if (!parse_unsigned(id, i) || !parse_unsigned(count, n) || (min && !parse_unsigned(min, m)) || n == 0 || i < m ||
      i - m >= n)
    throw ConfigError({"SLURM_ARRAY_TASK_ID", 0, 0}, "",
                      std::string("a job array of consecutive task ids is expected (task ") + id + " of " + count +
                          (min ? std::string(", from ") + min : std::string()) + ")");
  return {i - m, n};
}

Json value_json(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789-+.eE") == std::string::npos) {
    try {
      const Json j = Json::parse(text);
      if (j.is_number()) return j;
    } catch (const Json::exception&) {
    }
  }
  return text;
}

}  // namespace ivsim
