#include "sim/run.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <systemc>

#include <fmt/format.h>

#include "platforms/host_caches.h"
#include "platforms/host_timing.h"
#include "platforms/profile_choice.h"
#include "sim/atomic_file.h"

namespace ivsim {

namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_stop_signal(int sig) { g_signal = sig; }

// SIGINT and SIGTERM end the run at the next synchronisation point with the
// kernel (the run loop below), which then writes what was measured so far.
class StopSignals {
 public:
  explicit StopSignals(bool install) : installed_(install) {
    if (!installed_) return;
    g_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    if (!installed_) return;
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  bool installed_;
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

TimePs kernel_ps() { return sc_core::sc_time_stamp().value(); }

// What region, if any, a polled host address lies in: names the memory two
// VMs were meant to meet in.
std::string where_is(Platform& p, Hpa hpa) {
  if (const IvshmemRegionPool* pool = p.hypervisor().ivshmem_pool())
    for (const IvshmemRegion& r : pool->regions())
      if (hpa >= r.hpa && hpa < r.hpa + r.size) return ", region " + r.name;
  if (const ShmNamespace* shm = p.shm_namespace())
    for (const auto& [name, obj] : shm->objects())
      if (hpa >= obj.hpa && hpa < obj.hpa + obj.size) return ", region dm:/" + name;
  return "";
}

std::string describe(Platform& p, const Vcpu& v) {
  std::string what = v.waiting_on();
  if (what.empty()) what = v.finished() ? "finished" : "running";
  if (v.wait_state().kind == Vcpu::WaitKind::line) {
    what.pop_back();  // ")"
    what += where_is(p, v.wait_state().hpa) + ")";
  }
  return what;
}

StallDiagnosis diagnose(Platform& p, bool deadlock, TimePs at_ps, TimePs last_progress_ps) {
  StallDiagnosis d;
  d.deadlock = deadlock;
  d.at_ps = at_ps;
  d.last_progress_ps = last_progress_ps;
  for (const auto& w : p.workloads()) {
    if (w->done()) continue;
    for (const auto& r : w->roles) {
      if (r.vcpu->finished()) continue;
      StallDiagnosis::Blocked b{w->config->name,      r.role, r.vcpu->name(), r.vcpu->config().pcpu,
                                describe(p, *r.vcpu), {}};
      std::set<const Vcpu*> seen{r.vcpu};
      for (const Vcpu* next = r.vcpu->waits_for(); next; next = next->waits_for()) {
        if (!seen.insert(next).second) {
          b.chain.push_back(std::string(next->name()) + ": (the chain closes here: a cycle)");
          break;
        }
        b.chain.push_back(std::string(next->name()) + ": " + describe(p, *next));
      }
      d.blocked.push_back(std::move(b));
    }
  }
  return d;
}

}  // namespace

Json run_end_to_json(const Simulation& sim) {
  static const char* const kNames[] = {"completed", "duration", "stalled", "interrupted"};
  Json j = {{"reason", kNames[static_cast<unsigned>(sim.cut)]}};
  if (sim.cut != RunCut::stall) return j;
  const StallDiagnosis& d = sim.stall;
  Json blocked = Json::array();
  for (const auto& b : d.blocked)
    blocked.push_back({{"workload", b.workload},
                       {"role", b.role},
                       {"vcpu", b.vcpu},
                       {"pcpu", b.pcpu},
                       {"waits_for", b.waits},
                       {"chain", b.chain}});
  j["stall"] = {{"kind", d.deadlock ? "deadlock" : "watchdog"},
                {"at_ns", static_cast<double>(d.at_ps) / 1e3},
                {"last_progress_ns", static_cast<double>(d.last_progress_ps) / 1e3},
                {"blocked", blocked}};
  return j;
}

std::string StallDiagnosis::text() const {
  std::string out;
  if (deadlock)
    out = fmt::format(
        "ivsim: stalled at {:.3f} ms simulated: nothing is left to simulate (deadlock) and these "
        "workloads have not finished\n",
        static_cast<double>(at_ps) / 1e9);
  else
    out = fmt::format(
        "ivsim: stalled at {:.3f} ms simulated: no workload made progress since {:.3f} ms "
        "(run.watchdog_ms)\n",
        static_cast<double>(at_ps) / 1e9, static_cast<double>(last_progress_ps) / 1e9);
  for (const auto& b : blocked) {
    out += fmt::format("  {}.{} on {} (pCPU {}): {}\n", b.workload, b.role, b.vcpu, b.pcpu, b.waits);
    for (const auto& c : b.chain) out += "    which waits for " + c + "\n";
  }
  return out;
}

std::unique_ptr<Simulation> elaborate(const Scenario& scenario, const Board* board) {
  // Everything that reads input happens before the kernel starts, so a bad
  // scenario leaves nothing behind.
  auto sim = std::make_unique<Simulation>();
  sim->board = board ? *board : load_board(scenario.board, scenario.where("board"));

  sim->profile = timing_profile_for_run(scenario, sim->board);
  sim->timing = resolve_timing(sim->profile);
  sim->host_timing = host_timing(sim->profile, sim->board, cache_topology(sim->board));

  tlm::tlm_global_quantum::instance().set(
      sc_core::sc_time(static_cast<double>(scenario.run.quantum_ns), sc_core::SC_NS));
  sim->platform = std::make_unique<Platform>(scenario, sim->board, sim->timing, sim->host_timing);
  return sim;
}

RunOutcome run_platform(Platform& platform, const RunConfig& limits, ProgressLine* progress, bool stop_signals) {
  const auto& workloads = platform.workloads();
  const StopSignals signals(stop_signals);

  constexpr TimePs kNoEnd = ~TimePs{0};
  const TimePs end_ps = limits.duration_us > 0 ? limits.duration_us * 1'000'000 : kNoEnd;
  const TimePs watchdog_ps = limits.watchdog_ms * 1'000'000'000;
  auto all_done = [&] {
    return std::all_of(workloads.begin(), workloads.end(), [](const auto& w) { return w->done(); });
  };
  // The kernel stops in the delta cycle the last workload ends in: what a
  // slice would run on past it (ticks, background work) would make the
  // report depend on the slicing, that is on the host's speed.
  for (const auto& w : workloads)
    for (const auto& r : w->roles)
      r.vcpu->set_on_finished([&all_done] {
        if (all_done()) sc_core::sc_pause();
      });
  auto last_progress = [&] {
    TimePs t = 0;
    for (const auto& w : workloads) t = std::max(t, w->last_progress_ps());
    return t;
  };

  // The kernel runs in slices between which the run checks its ends: every
  // workload done, the duration, the watchdog (at exactly the last progress
  // plus run.watchdog_ms, so the verdict does not depend on the slicing), a
  // stop signal. Slices grow while they are cheap in wall time and shrink
  // when they are not, so a signal or a progress update waits ~0.1 s at most.
  TimePs slice_ps = 100'000'000;  // 100 us
  // IVSIM_SLICE_NS fixes the slice, for the test that the report does not
  // depend on it.
  const char* fixed_slice = std::getenv("IVSIM_SLICE_NS");
  const bool adapt = fixed_slice == nullptr;
  if (!adapt) slice_ps = std::max<TimePs>(1, std::strtoull(fixed_slice, nullptr, 10)) * 1000;
  // IVSIM_RUN_AHEAD=off makes every vCPU synchronise at every point, for the
  // tests that running ahead changes no report.
  const char* run_ahead_env = std::getenv("IVSIM_RUN_AHEAD");
  const bool run_ahead = run_ahead_env == nullptr || std::string(run_ahead_env) != "off";
  const auto wall_start = std::chrono::steady_clock::now();
  RunOutcome out;
  bool deadlock = false;
  bool started = false;
  for (;;) {
    const TimePs now = kernel_ps();
    const TimePs deadline = std::min(end_ps, last_progress() + watchdog_ps);
    const TimePs step = std::max<TimePs>(1, std::min(slice_ps, deadline > now ? deadline - now : 1));
    const auto t0 = std::chrono::steady_clock::now();
    // Nothing due within the step: time just moves on (SC_EXIT_ON_STARVATION
    // would not move it, and warns).
    const bool idle_step = started && sc_core::sc_time_to_pending_activity().value() > step;
    // A vCPU may run ahead without synchronising only up to here, where the run checks its ends.
    if (run_ahead) platform.run_ahead().set_run_end(now + step);
    sc_core::sc_start(sc_core::sc_time::from_value(step),
                      idle_step ? sc_core::SC_RUN_TO_TIME : sc_core::SC_EXIT_ON_STARVATION);
    started = true;
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (adapt && wall < 0.02 && slice_ps < watchdog_ps / 4) slice_ps *= 2;
    if (adapt && wall > 0.2 && slice_ps > 1'000'000) slice_ps /= 2;

    if (g_signal) {
      out.cut = RunCut::interrupt;
      break;
    }
    if (all_done()) break;
    if (!sc_core::sc_pending_activity()) {
      out.cut = RunCut::stall;
      deadlock = true;
      break;
    }
    if (kernel_ps() >= end_ps) {
      out.cut = RunCut::duration;
      break;
    }
    if (kernel_ps() >= last_progress() + watchdog_ps) {
      out.cut = RunCut::stall;
      break;
    }
    if (progress && progress->due()) {
      ProgressLine::Snapshot snap{kernel_ps(), end_ps == kNoEnd ? 0 : end_ps, {}};
      for (const auto& w : workloads) {
        const auto it = w->config->params.find("iterations");
        const u64 total = it != w->config->params.end() ? static_cast<u64>(it->second.i) : 0;
        u64 done = 0;
        for (const auto& m : w->metrics.metrics()) done = std::max(done, m->histogram.count());
        snap.workloads.push_back({w->config->name, done, total});
      }
      progress->update(snap);
    }
  }
  if (progress) progress->clear();
  for (const auto& w : workloads)
    for (const auto& r : w->roles) r.vcpu->set_on_finished(nullptr);
  out.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  for (const auto& w : workloads)
    if (!w->done()) w->cut = out.cut;
  // Where the simulation got to: the kernel's time, or later when the vCPUs
  // fell asleep ahead of it (models/cpu/run_ahead.h) and nothing woke them.
  TimePs reached_ps = kernel_ps();
  for (const auto& v : platform.vcpus()) reached_ps = std::max(reached_ps, v->asleep_ahead_ps());
  if (out.cut == RunCut::stall) out.stall = diagnose(platform, deadlock, reached_ps, last_progress());
  // A run that finished ends with its last workload; one cut short, where it
  // was cut (exactly at the duration or the watchdog's deadline).
  out.simulated_ps = out.cut == RunCut::none ? last_progress() : reached_ps;
  return out;
}

std::unique_ptr<Simulation> simulate(const Scenario& scenario, const Board* board, const RunOptions* options) {
  auto sim = elaborate(scenario, board);
  ProgressLine progress(options ? options->progress : ProgressLine::Mode::off, stderr);
  const RunOutcome out = run_platform(*sim->platform, scenario.run, &progress, options != nullptr);
  sim->cut = out.cut;
  sim->stall = out.stall;
  HostStats& host = sim->host;
  host.wall_seconds = out.wall_seconds;
  host.simulated_ps = out.simulated_ps;
  for (const auto& v : sim->platform->vcpus()) {
    host.accesses += v->counters().loads + v->counters().stores;
    host.synchronisations += v->counters().syncs;
    host.synchronisations_skipped += v->counters().syncs_skipped;
    host.polls_woken_early += v->counters().polls_woken_early;
  }
  return sim;
}

int run_scenario(const Scenario& scenario, const RunOptions& options) {
  // The timeline only observes: the report is the same with or without it.
  const bool tracing = !options.trace_path.empty() || !options.vcd_path.empty();
  TraceRecorder recorder(options.trace_window);
  struct Installed {
    explicit Installed(trace::Sink* s) { trace::set_sink(s); }
    ~Installed() { trace::set_sink(nullptr); }
  };
  std::unique_ptr<Installed> installed;
  if (tracing) installed = std::make_unique<Installed>(&recorder);
  const auto sim = simulate(scenario, nullptr, &options);
  installed.reset();
  Platform& platform = *sim->platform;
  if (tracing) {
    recorder.finish(sim->host.simulated_ps);
    TraceNames names;
    for (const Vm* vm : platform.hypervisor().vms()) names.vms[vm->id] = vm->name;
    for (const auto& v : platform.vcpus()) names.vcpus[{v->config().vm, v->config().index}] = v->name();
    if (!options.trace_path.empty()) write_file_atomic(options.trace_path, recorder.chrome_json(names));
    if (!options.vcd_path.empty()) write_file_atomic(options.vcd_path, recorder.vcd(names));
  }

  const Json report = build_report(platform, sim->profile, sim->host, run_end_to_json(*sim));
  if (!options.report_path.empty()) write_file_atomic(options.report_path, report.dump(2) + "\n");
  if (!options.quiet) {
    std::fputs(summary_table(report, options.histograms).c_str(), stdout);
    if (!options.report_path.empty()) std::printf("report: %s\n", options.report_path.c_str());
    std::fflush(stdout);
  }

  int status = 0;
  for (const auto& w : platform.workloads()) {
    for (const auto& role : w->roles)
      if (!role.error.empty()) {
        std::fprintf(stderr, "ivsim: workload %s role %s failed: %s\n", w->config->name.c_str(), role.role.c_str(),
                     role.error.c_str());
        status = 1;
      }
  }
  // A script's failed expectation: listed in the report, exit status 3.
  for (const auto& w : platform.workloads())
    for (const auto& f : w->metrics.findings())
      if (f.kind == "expect" && !f.ok) {
        std::fprintf(stderr, "ivsim: workload %s: expectation not met: %s (%s)\n", w->config->name.c_str(),
                     f.name.c_str(), f.detail.c_str());
        status = kExitExpectation;
      }
  switch (sim->cut) {
    case RunCut::stall:
      std::fputs(sim->stall.text().c_str(), stderr);
      return kExitStalled;
    case RunCut::interrupt:
      std::fprintf(stderr, "ivsim: interrupted at %.3f ms simulated; the report holds what was measured so far\n",
                   static_cast<double>(sim->host.simulated_ps) / 1e9);
      return kExitInterrupted;
    case RunCut::duration:
    case RunCut::none:
      break;
  }
  return status;
}

}  // namespace ivsim
