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
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
#endif
