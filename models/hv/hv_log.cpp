#include "models/hv/hv_log.h"

#include <algorithm>

#include <fmt/format.h>

namespace ivsim {

TimePs HvLog::log(LogSeverity severity, unsigned pcpu, const std::string& thread, TimePs now_ps,
                  const std::string& text) {
  const unsigned sev = static_cast<unsigned>(severity);
  // do_logmsg returns at once when no log admits the message; the seq is
  // taken before the console's own check.
  if (!c_.debug_build || sev > std::max(c_.console_loglevel, kMemLoglevel)) return 0;
  ++seq_;
  if (sev > c_.console_loglevel || !c_.serial_console) return 0;
  // ticks_to_us(cpu_ticks()): the TSC runs from the twin's time 0.
  std::string line = fmt::format("[{}us][cpu={}][{}][sev={}][seq={}]:", now_ps / 1'000'000, pcpu, thread, sev, seq_);
  line += text;
  if (line.size() > kMessageMaxSize - 1) line.resize(kMessageMaxSize - 1);  // snprintf/vsnprintf into logbuf
  // printf("%s\n\r"), and uart16550_puts sends a '\r' after each '\n'.
  const std::string sent = line + "\n\r";
  const u64 chars = sent.size() + static_cast<u64>(std::count(sent.begin(), sent.end(), '\n'));
  const TimePs start = std::max(now_ps, console_free_ps_);
  console_free_ps_ = start + chars * c_.char_ps;
  const TimePs spent = console_free_ps_ - now_ps;
  ++lines_;
  busy_ps_ += spent;
  if (first_.size() < kLinesKept) {
    // As a terminal shows it: the message's own line ends dropped.
    std::string shown = line;
    shown.erase(std::remove(shown.begin(), shown.end(), '\n'), shown.end());
    first_.push_back(std::move(shown));
  }
  return spent;
}

}  // namespace ivsim
