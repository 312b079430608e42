#include "platforms/profile_choice.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "platforms/cpu_models.h"

namespace ivsim {

namespace {

std::string ids(const Board& b) { return fmt::format("family {:#x} model {:#x}", b.family_id, b.model_id); }

// What the nearest-profile choice compares: the board's part against each
// profile's reference part.
struct Features {
  bool hybrid = false;  // Core and Atom threads
  bool atom = false;    // Atom threads only, or cores (not SMT siblings) sharing an L2
  unsigned l1d_kib = 0;
  unsigned l2_kib = 0;
  unsigned l2_cores = 1;
  bool l3 = false;
  unsigned sockets = 1;
  unsigned mhz = 0;
};

Features board_features(const Board& b) {
  Features f;
  std::set<std::string> types;
  for (const auto& p : b.pcpus) types.insert(p.core_type);
  f.hybrid = types.count("Core") && types.count("Atom");
  std::set<unsigned> dies;
  for (const auto& p : b.pcpus) dies.insert(p.die);
  f.sockets = static_cast<unsigned>(dies.size());
  bool shared_l2 = false;
  for (const auto& c : b.caches) {
    if (c.level == 1 && c.type != 2 && !f.l1d_kib) f.l1d_kib = static_cast<unsigned>(c.size_bytes / 1024);
    if (c.level == 2) {
      std::set<std::pair<unsigned, unsigned>> cores;  // (die, core): SMT siblings count once
      for (unsigned id : c.pcpus)
        if (const PhysicalCpu* p = b.find_pcpu(id)) cores.insert({p->die, p->core});
      if (!f.l2_kib) {
        f.l2_kib = static_cast<unsigned>(c.size_bytes / 1024);
        f.l2_cores = static_cast<unsigned>(cores.size());
      }
      shared_l2 = shared_l2 || cores.size() > 1;
    }
    if (c.level >= 3) f.l3 = true;
  }
  f.atom = !f.hybrid && ((types.size() == 1 && types.count("Atom")) || shared_l2);
  f.mhz = b.frequency_mhz;
  return f;
}

double log2_gap(unsigned a, unsigned b) {
  return a && b ? std::fabs(std::log2(static_cast<double>(a)) - std::log2(static_cast<double>(b))) : 0;
}

// Lower is nearer. The class (hybrid, Atom, sockets, L3) dominates, then the
// cache sizes, then the frequency, then how far the model id is from one the
// map gives this profile.
double distance(const Features& f, const TimingProfile& p, const Board& b) {
  const ReferencePart& r = p.reference;
  const bool atom_profile = !p.hybrid() && p.core_types.front() == "Atom";
  double d = 0;
  d += (f.hybrid != p.hybrid()) ? 1000 : 0;
  d += (f.atom != atom_profile) ? 1000 : 0;
  d += ((f.sockets > 1) != (r.sockets > 1)) ? 100 : 0;
  d += (f.l3 != r.l3) ? 50 : 0;
  d += 20 * log2_gap(f.l1d_kib, r.l1d_kib) + 20 * log2_gap(f.l2_kib, r.l2_kib) + 10 * log2_gap(f.l2_cores, r.l2_cores);
  if (f.mhz) d += std::fabs(static_cast<double>(f.mhz) - p.find("core_mhz")->value) / 100.0;
  unsigned gap = 256;
  for (const auto& m : cpu_models())
    if (m.profile == p.name && m.family == b.family_id)
      gap = std::min(gap, static_cast<unsigned>(std::abs(static_cast<int>(m.model) - static_cast<int>(b.model_id))));
  return d + gap / 16.0;
}

std::string describe(const Features& f) {
  return fmt::format("{}L1D {} KiB, L2 {} KiB for {} core{}, {}, {} socket{}{}",
                     f.hybrid ? "Core and Atom threads, "
                     : f.atom ? "Atom-class, "
                              : "",
                     f.l1d_kib, f.l2_kib, f.l2_cores, f.l2_cores == 1 ? "" : "s", f.l3 ? "L3" : "no L3", f.sockets,
                     f.sockets == 1 ? "" : "s", f.mhz ? fmt::format(", {} MHz", f.mhz) : "");
}

}  // namespace

ProfileChoice choose_timing_profile(const Scenario& s, const Board& b, bool warn) {
  ProfileChoice c;
  const CpuModel* row = find_cpu_model(b.family_id, b.model_id);
  c.cpu = row ? fmt::format("{} ({}), {}", row->name, ids(b), row->uarch)
              : fmt::format("{} (not in platforms/cpu-models.yaml)", ids(b));
  if (!b.cpu_model.empty()) c.cpu += ": \"" + b.cpu_model + "\"";
  if (!s.timing_profile.empty()) {
    c = {s.timing_profile, "scenario", "timing.profile names it", c.cpu};
  } else if (!b.timing_profile.empty()) {
    c = {b.timing_profile, "board", "board " + b.name + " names it", c.cpu};
  } else if (row) {
    c = {row->profile, "cpu model", "platforms/cpu-models.yaml maps " + row->name + " to it: " + row->source, c.cpu};
  } else {
    const Features f = board_features(b);
    double best = 0;
    for (const auto& name : timing_profile_names()) {
      const TimingProfile p = load_timing_profile(name, {});
      if (p.reference.l1d_kib == 0) continue;  // no reference part: never a nearest choice
      const double d = distance(f, p, b);
      if (c.profile.empty() || d < best) {
        best = d;
        c.profile = name;
        c.why = fmt::format(
            "nearest to the board's part ({}): {}'s reference is {}, L1D {} KiB, L2 {} KiB for {} core{}, "
            "{}, {} socket{}, {:g} MHz",
            describe(f), name, p.reference.cpu, p.reference.l1d_kib, p.reference.l2_kib, p.reference.l2_cores,
            p.reference.l2_cores == 1 ? "" : "s", p.reference.l3 ? "L3" : "no L3", p.reference.sockets,
            p.reference.sockets == 1 ? "" : "s", p.find("core_mhz")->value);
      }
    }
    c.chosen_by = "nearest";
    if (warn)
      spdlog::warn("board {}: no timing profile maps CPU {} (\"{}\"); using the nearest, {}: {}", b.name, ids(b),
                 b.cpu_model, c.profile, c.why);
  }
  return c;
}

TimingProfile timing_profile_for_run(const Scenario& s, const Board& b, bool warn) {
  const ProfileChoice c = choose_timing_profile(s, b, warn);
  TimingProfile p = load_timing_profile(c.profile, s.where("timing.profile"));
  p.chosen_by = c.chosen_by;
  p.why = c.why;
  p.cpu = c.cpu;
  // The board's clock, when its file gives one, converts the cycle entries.
  TimingEntry* mhz = nullptr;
  for (auto& e : p.entries)
    if (e.name == "core_mhz") mhz = &e;
  if (b.frequency_mhz && mhz) {
    const std::string err = timing_value_error(*find_timing_entry_spec("core_mhz"), b.frequency_mhz);
    if (!err.empty()) throw ConfigError(SourceLocation{}, "board", "board " + b.name + " core frequency " + err);
    mhz->value = b.frequency_mhz;
    mhz->source = "board " + b.name + ": " + b.frequency_source;
    p.frequency_source = mhz->source;
  } else {
    p.frequency_source = "profile " + p.name + " (board " + b.name + " gives no frequency)";
  }
  apply_timing_overrides(p, s);
  if (mhz && mhz->overridden) p.frequency_source = "scenario override";
  for (const auto& pc : b.pcpus) {
    const std::string t = profile_core_type(p, b, pc);
    auto it = std::find_if(p.pcpus_by_core_type.begin(), p.pcpus_by_core_type.end(),
                           [&](const auto& kv) { return kv.first == t; });
    if (it == p.pcpus_by_core_type.end()) it = p.pcpus_by_core_type.insert(it, {t, {}});
    it->second.push_back(pc.id);
  }
  for (auto& kv : p.pcpus_by_core_type) std::sort(kv.second.begin(), kv.second.end());
  std::sort(p.pcpus_by_core_type.begin(), p.pcpus_by_core_type.end());
  for (const auto& pc : b.pcpus)
    if ((pc.core_type == "Core" || pc.core_type == "Atom") &&
        std::find(p.core_types.begin(), p.core_types.end(), pc.core_type) == p.core_types.end()) {
      if (warn)
        spdlog::warn("board {} has {} threads, which timing profile {} does not model; they run as its {} cores", b.name,
                   pc.core_type, p.name, p.core_types.front());
      break;
    }
  return p;
}

std::string profile_core_type(const TimingProfile& p, const Board& b, const PhysicalCpu& pc) {
  if (std::find(p.core_types.begin(), p.core_types.end(), pc.core_type) != p.core_types.end()) return pc.core_type;
  if (pc.core_type.empty() || pc.core_type == "Reserved")
    if (const CpuModel* row = find_cpu_model(b.family_id, b.model_id))
      if (!row->threads.empty() &&
          std::find(p.core_types.begin(), p.core_types.end(), row->threads) != p.core_types.end())
        return row->threads;
  return p.core_types.front();
}

}  // namespace ivsim
