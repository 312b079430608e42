#include "sim/measurement.h"

#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

#include "workloads/workload_kind.h"

namespace ivsim {

WorkloadConfig workload(const std::string& kind_name, const std::string& region, std::map<std::string, GuestRef> roles,
                        std::map<std::string, ParamValue> params) {
  const WorkloadKind* kind = find_workload_kind(kind_name);
  if (!kind) throw std::logic_error("no workload kind " + kind_name);
  WorkloadConfig w;
  w.name = kind_name;
  w.kind = kind_name;
  w.region = region;
  w.roles = std::move(roles);
  for (const auto& p : kind->params) w.params[p.name] = p.default_value;
  for (auto& [k, v] : params) w.params[k] = v;
  return w;
}

Scenario single_vm(const Board& board, std::vector<unsigned> pcpus) {
  Scenario s;
  s.name = "calibration";
  s.board = board.name;
  s.vms = {make_vm(0, "A", LoadOrder::pre_launched, std::move(pcpus), 512)};
  return s;
}

std::vector<double> measure(const Scenario& s, const Board& board, const Extract& extract, std::string& error) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("calibrate: pipe failed");
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("calibrate: fork failed");
  if (pid == 0) {
    close(fds[0]);
    std::string out;
    try {
      auto sim = simulate(s, &board);
      for (const auto& w : sim->platform->workloads())
        if (w->status() != "completed") throw std::runtime_error("workload " + w->config->name + " " + w->status());
      for (double v : extract(*sim)) out += fmt::format("{:.17g}\n", v);
    } catch (const std::exception& e) {
      out = std::string("error ") + e.what() + "\n";
    }
    const ssize_t n = write(fds[1], out.data(), out.size());
    (void)n;
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  std::vector<double> values;
  if (text.rfind("error ", 0) == 0) {
    error = text.substr(6, text.size() - 7);
    return values;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    error = "measurement process failed";
    return values;
  }
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t end = text.find('\n', pos);
    values.push_back(std::strtod(text.substr(pos, end - pos).c_str(), nullptr));
    pos = end + 1;
  }
  return values;
}

Extract p50_of(const std::string& metric) {
  return [metric](Simulation& sim) {
    const auto& w = *sim.platform->workloads().front();
    for (const auto& m : w.metrics.metrics())
      if (m->name == metric) return std::vector<double>{static_cast<double>(m->histogram.percentile(50))};
    throw std::runtime_error("no metric " + metric);
  };
}

Extract min_of(const std::string& metric) {
  return [metric](Simulation& sim) {
    const auto& w = *sim.platform->workloads().front();
    for (const auto& m : w.metrics.metrics())
      if (m->name == metric) return std::vector<double>{static_cast<double>(m->histogram.min())};
    throw std::runtime_error("no metric " + metric);
  };
}

}  // namespace ivsim
