#include "sim/c2c_matrix.h"

#include <cmath>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "platforms/profile_choice.h"
#include "sim/measurement.h"

namespace ivsim {

namespace {

// The distinct latencies of each core-type pair, with how many pairs have
// each: {"Core-Atom": {44.0: 64}, ...}. A pair's name puts the profile's
// first core type first.
std::map<std::string, std::map<double, unsigned>> by_core_type(const C2cMatrix& m) {
  std::map<std::string, std::map<double, unsigned>> out;
  const std::size_t n = m.pcpus.size();
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = a + 1; b < n; ++b) {
      const std::string& x = m.core_types[a];
      const std::string& y = m.core_types[b];
      const std::string pair = (x == "Atom" && y == "Core") ? y + "-" + x : x + "-" + y;
      ++out[pair][std::round(m.one_way_ns[a][b] * 10) / 10];
    }
  return out;
}

}  // namespace

C2cMatrix measure_c2c_matrix(const Board& board, unsigned iterations) {
  // Like core-to-core-latency's matrix: one-way latency (median round trip
  // / 2) of a line bounced between each pair of pCPUs.
  C2cMatrix m;
  m.board = board.name;
  m.iterations = iterations;
  const TimingProfile profile = timing_profile_for_run(Scenario{}, board);
  m.profile = profile.name;
  for (const auto& p : board.pcpus) {
    m.pcpus.push_back(p.id);
    m.core_types.push_back(profile_core_type(profile, board, p));
  }
  const std::size_t n = board.pcpus.size();
  m.one_way_ns.assign(n, std::vector<double>(n, 0));
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = a + 1; b < n; ++b) {
      Scenario s = single_vm(board, {board.pcpus[a].id, board.pcpus[b].id});
      s.workloads = {workload("c2c_pingpong", "", {{"ping", {"A", 0}}, {"pong", {"A", 1}}},
                              {{"iterations", integer(iterations)}})};
      std::string error;
      const auto v = measure(s, board, p50_of("round_trip"), error);
      if (!error.empty() || v.empty()) throw std::runtime_error("c2c measurement failed: " + error);
      m.one_way_ns[a][b] = m.one_way_ns[b][a] = v[0] / 2000.0;
    }
  }
  return m;
}

std::string c2c_matrix_text(const C2cMatrix& m) {
  const std::size_t n = m.pcpus.size();
  std::string out = fmt::format("core-to-core one-way latency (ns) on {} ({}), median of {} round trips / 2\n", m.board,
                                m.profile, m.iterations);
  out += "     ";
  for (std::size_t b = 0; b < n; ++b) out += fmt::format("{:>6}", m.pcpus[b]);
  out += "\n";
  for (std::size_t a = 0; a < n; ++a) {
    out += fmt::format("{:>4} ", m.pcpus[a]);
    for (std::size_t b = 0; b < n; ++b)
      out += a == b ? fmt::format("{:>6}", "-") : fmt::format("{:>6.1f}", m.one_way_ns[a][b]);
    out += "\n";
  }
  // Each pCPU's core type, then the latencies by core-type pair.
  std::map<std::string, std::string> ids;
  for (std::size_t k = 0; k < n; ++k)
    ids[m.core_types[k]] += (ids[m.core_types[k]].empty() ? "" : ",") + std::to_string(m.pcpus[k]);
  out += "core types:";
  for (const auto& [type, list] : ids) out += fmt::format(" {} pCPUs {};", type, list);
  out.back() = '\n';
  out += "by core-type pair (one-way ns x pairs):";
  for (const auto& [pair, values] : by_core_type(m)) {
    out += fmt::format(" {}", pair);
    for (const auto& [ns, count] : values) out += fmt::format(" {:.1f} x{}", ns, count);
    out += ";";
  }
  out.back() = '\n';
  return out;
}

Json c2c_matrix_json(const C2cMatrix& m) {
  Json pcpus = Json::array();
  for (std::size_t k = 0; k < m.pcpus.size(); ++k)
    pcpus.push_back({{"id", m.pcpus[k]}, {"core_type", m.core_types[k]}});
  Json pairs = Json::object();
  for (const auto& [pair, values] : by_core_type(m)) {
    Json v = Json::array();
    for (const auto& [ns, count] : values) v.push_back({{"one_way_ns", ns}, {"pairs", count}});
    pairs[pair] = v;
  }
  return {{"schema", "ivsim-c2c-matrix/1"}, {"board", m.board}, {"profile", m.profile},
          {"iterations", m.iterations},     {"pcpus", pcpus},   {"one_way_ns", m.one_way_ns},
          {"by_core_type", pairs}};
}

}  // namespace ivsim
