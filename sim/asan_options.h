// For programs that elaborate a SystemC design, built with AddressSanitizer:
// LeakSanitizer off by default. Its tracer can crash scanning SystemC's
// coroutine stacks at exit, and a run ends with its suspended simulation
// threads (vCPUs idling, guest programs waiting) still holding their state:
// SystemC 2.3 never unwinds them, and the OS frees it all at exit. Unit tests,
// which never start the kernel, keep leak detection. Include in exactly one
// file of the program (the one with main).
#pragma once

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IVSIM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define IVSIM_ASAN 1
#endif

#ifdef IVSIM_ASAN
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>

#include <cstdlib>

extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }

namespace ivsim::asan_detail {
// SystemC announces its coroutine switches to AddressSanitizer
// (__sanitizer_start_switch_fiber and __sanitizer_finish_switch_fiber). After
// the simulation, the main thread can still be on record with the stack of
// the coroutine that last ran, freed by then; with leak detection on (the
// shipped-scenario runs), LeakSanitizer's tracer reads that stack at exit and
// crashes ("Tracer caught signal 11"). At exit on the main stack, put the
// main stack back on record.
inline void announce_main_stack() {
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void* base = nullptr;
  std::size_t size = 0;
  const int got = pthread_attr_getstack(&attr, &base, &size);
  pthread_attr_destroy(&attr);
  if (got != 0) return;
  const char here = 0;
  const char* lo = static_cast<const char*>(base);
  if (&here < lo || &here >= lo + size) return;  // exit called inside a coroutine: leave the record alone
  __sanitizer_start_switch_fiber(nullptr, base, size);
  __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
}
// Registered after the sanitizer's own exit handler (its leak check), so it runs first.
inline const int main_stack_at_exit = std::atexit(announce_main_stack);
}  // namespace ivsim::asan_detail
#endif
