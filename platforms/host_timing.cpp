#include "platforms/host_timing.h"

#include "platforms/profile_choice.h"

namespace ivsim {

HostTiming host_timing(const TimingProfile& p, const Board& b, const CacheTopology& t) {
  const std::size_t n = t.distance.size();
  const TimingParams primary = resolve_timing(p);
  HostTiming h = HostTiming::uniform(primary, t.distance);
  std::vector<bool> atom(n, false);
  const TimingParams atom_timing = p.hybrid() ? resolve_timing(p, "Atom") : primary;
  for (const auto& pc : b.pcpus) {
    atom[pc.id] = p.hybrid() && profile_core_type(p, b, pc) == "Atom";
    if (atom[pc.id]) h.by_pcpu[pc.id] = atom_timing;
  }
  if (!p.hybrid()) return h;
  const TimePs core_atom = ns_to_ps(p.find("c2c_core_atom")->value);
  const std::size_t same_die = static_cast<std::size_t>(CoreDistance::same_die);
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t c = 0; c < n; ++c) {
      if (t.distance[a][c] != CoreDistance::same_die) continue;  // SMT, same L2 and cross-die: by distance
      h.c2c_ps[a * n + c] = atom[a] != atom[c] ? core_atom
                            : atom[a]          ? atom_timing.c2c_ps[same_die]
                                               : primary.c2c_ps[same_die];
    }
  return h;
}

}  // namespace ivsim
