// A debug build's log messages on the hypervisor's serial console
// (debug/logmsg.c: do_logmsg). A message at a severity the console's level
// admits (CONSOLE_LOGLEVEL) is formatted with ACRN's prefix,
//   [<TSC in us>us][cpu=<pCPU>][<thread>][sev=<severity>][seq=<n>]:<text>
// and written with printf("%s\n\r") under logmsg_ctl.lock, interrupts off:
// console_write -> uart16550_puts sends it a character at a time, a '\r'
// after every '\n', and uart16550_putc polls the line status until the
// UART has shifted out the character before (THRE and TEMT), so the FIFO
// never holds two. The pCPU spends the line's characters at the line's
// speed; a line another pCPU is writing is waited for (the locks). A
// release build's do_logmsg is empty; without a serial console
// (SERIAL_CONSOLE None) the UART is disabled and uart16550_puts returns at
// once.
//
// The TSC counts from the twin's time 0 (a board's counts from reset, so
// its lines carry a few more digits) and seq from the twin's first message
// (ACRN's boot messages come before it); the memory and Trace Hub logs
// (MEM_LOGLEVEL, NPK_LOGLEVEL) are taken at their default, 5, which admits
// every message the twin logs, so each one takes a seq.
//
// Plain C++, no SystemC.
#pragma once

#include <string>
#include <vector>

#include "models/core/types.h"

namespace ivsim {

// hypervisor/include/debug/logmsg.h: LOG_FATAL .. LOG_DEBUG.
enum class LogSeverity : unsigned { fatal = 1, acrn = 2, error = 3, warning = 4, info = 5, debug = 6 };

struct HvLogConfig {
  bool debug_build = false;
  bool serial_console = false;
  unsigned console_loglevel = 0;
  TimePs char_ps = 0;  // one character on the line (the profile's serial_char)
};

class HvLog {
 public:
  static constexpr unsigned kMemLoglevel = 5;          // MEM_LOGLEVEL and NPK_LOGLEVEL's default
  static constexpr std::size_t kMessageMaxSize = 320;  // LOG_MESSAGE_MAX_SIZE: the buffer, its NUL included
  static constexpr std::size_t kLinesKept = 16;        // the first lines, for the report

  explicit HvLog(HvLogConfig c = {}) : c_(c) {}
  void configure(HvLogConfig c) { c_ = c; }
  // HV_DEBUG: the build has the log, and ASSERT (asm_assert) with it.
  bool debug_build() const { return c_.debug_build; }

  // do_logmsg(severity, text) at now_ps on pCPU `pcpu`, whose current
  // thread is `thread` ("vm1:vcpu0", as create_vcpu names it): the time the
  // pCPU spends in it (waiting for the console, then writing), 0 when the
  // message goes to no console.
  TimePs log(LogSeverity severity, unsigned pcpu, const std::string& thread, TimePs now_ps, const std::string& text);

  // Lines written to the console, the pCPU time they took (waits included),
  // and the first kLinesKept of them as sent (without the line end).
  u64 lines() const { return lines_; }
  TimePs busy_ps() const { return busy_ps_; }
  const std::vector<std::string>& first_lines() const { return first_; }

 private:
  HvLogConfig c_;
  u32 seq_ = 0;                 // logmsg_ctl.seq
  TimePs console_free_ps_ = 0;  // when the line being written ends
  u64 lines_ = 0;
  TimePs busy_ps_ = 0;
  std::vector<std::string> first_;
};

}  // namespace ivsim
