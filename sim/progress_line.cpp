#include "sim/progress_line.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ivsim {

namespace {

// The line appears once the run has taken this long; on a terminal it is
// redrawn at most this often, in a log a line is printed every few seconds.
constexpr double kTerminalDelay_s = 1.0;
constexpr double kTerminalPeriod_s = 0.25;
constexpr double kLogPeriod_s = 5.0;
constexpr std::size_t kTerminalWidth = 120;

std::string simulated(TimePs ps) {
  const double ns = static_cast<double>(ps) / 1e3;
  if (ns < 1e6) return fmt::format("{:.1f} us", ns / 1e3);
  if (ns < 1e9) return fmt::format("{:.2f} ms", ns / 1e6);
  return fmt::format("{:.3f} s", ns / 1e9);
}

std::string duration(double s) {
  const long t = std::lround(s);
  if (t < 60) return fmt::format("{} s", t);
  if (t < 3600) return fmt::format("{} min {:02} s", t / 60, t % 60);
  return fmt::format("{:.1f} h", s / 3600);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

ProgressLine::ProgressLine(Mode mode, std::FILE* out) : mode_(mode), out_(out), start_(Clock::now()), last_(start_) {}

bool ProgressLine::due() const {
  switch (mode_) {
    case Mode::off:
      return false;
    case Mode::terminal:
      return seconds_since(start_) >= kTerminalDelay_s && seconds_since(last_) >= kTerminalPeriod_s;
    case Mode::log:
      return seconds_since(start_) >= kTerminalDelay_s && (!printed_ || seconds_since(last_) >= kLogPeriod_s);
  }
  return false;
}

std::string ProgressLine::format(const Snapshot& s, double wall_seconds) {
  std::string line = "ivsim: " + simulated(s.simulated_ps) + " simulated";
  double done = 0, total = 0;
  bool all_known = !s.workloads.empty();
  for (const auto& w : s.workloads) {
    if (w.total > 0) {
      line += fmt::format(" | {} {}/{}", w.name, w.done, w.total);
      done += static_cast<double>(std::min(w.done, w.total));
      total += static_cast<double>(w.total);
    } else {
      line += fmt::format(" | {} {}", w.name, w.done);
      all_known = false;
    }
  }
  const double sim_us = static_cast<double>(s.simulated_ps) / 1e6;
  if (wall_seconds > 0) line += fmt::format(" | {:.0f} us/s", sim_us / wall_seconds);
  // ETA from the end in simulated time if there is one, else from the
  // iterations when every workload has a count to reach.
  double eta = -1;
  if (s.end_ps > 0 && s.simulated_ps > 0)
    eta = wall_seconds * static_cast<double>(s.end_ps - std::min(s.end_ps, s.simulated_ps)) /
          static_cast<double>(s.simulated_ps);
  else if (all_known && done > 0)
    eta = wall_seconds * (total - done) / done;
  if (eta >= 0) line += " | ETA " + duration(eta);
  return line;
}

void ProgressLine::update(const Snapshot& s) {
  if (mode_ == Mode::off) return;
  last_ = Clock::now();
  printed_ = true;
  std::string line = format(s, seconds_since(start_));
  if (mode_ == Mode::log) {
    std::fprintf(out_, "%s\n", line.c_str());
  } else {
    if (line.size() > kTerminalWidth) line = line.substr(0, kTerminalWidth - 3) + "...";
    std::fprintf(out_, "\r\033[K%s", line.c_str());
    shown_ = true;
  }
  std::fflush(out_);
}

void ProgressLine::clear() {
  if (!shown_) return;
  std::fprintf(out_, "\r\033[K");
  std::fflush(out_);
  shown_ = false;
}

}  // namespace ivsim
