#include "platforms/board_cache_completion.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include <fmt/format.h>

namespace ivsim {

namespace {

constexpr unsigned kMaxShift = 32;  // APIC IDs are 32 bits

// The shift the listed threads of one core type agree on for one cache level
// and type: each (APIC ID, cache id) pair admits the shifts s with
// APIC ID >> s == id, one shift for an id other than 0. When every id is 0
// (one cache for all of them), every shift from the widest APIC ID on fits,
// and kMaxShift stands for them: the missing thread joins cache 0 too.
std::optional<unsigned> agreed_shift(const std::vector<std::pair<u32, unsigned>>& pairs) {
  for (unsigned s = 0; s <= kMaxShift; ++s) {
    const bool fits = std::all_of(pairs.begin(), pairs.end(), [s](const std::pair<u32, unsigned>& p) {
      const u64 shifted = s == kMaxShift ? 0 : (u64{p.first} >> s);
      return shifted == p.second;
    });
    if (!fits) continue;
    const bool pinned = std::any_of(pairs.begin(), pairs.end(), [](const auto& p) { return p.second != 0; });
    return pinned ? s : kMaxShift;
  }
  return std::nullopt;
}

std::string level_name(const CacheInfo& c) { return fmt::format("L{}{}", c.level, c.level == 1 ? "D" : ""); }

std::string joined(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

}  // namespace

std::string joined_lines(const std::vector<std::string>& lines) { return joined(lines, "; "); }

std::vector<std::string> complete_cache_lists(Board& b) {
  std::map<unsigned, const PhysicalCpu*> by_id;
  for (const PhysicalCpu& p : b.pcpus) by_id[p.id] = &p;
  std::set<std::pair<unsigned, unsigned>> keys;  // (level, type) of the listed caches
  for (const CacheInfo& c : b.caches) keys.insert({c.level, c.type});

  std::map<unsigned, std::vector<std::string>> took;  // pCPU -> the caches it took
  for (const auto& [level, type] : keys) {
    auto of_key = [&, level = level, type = type](const CacheInfo& c) { return c.level == level && c.type == type; };
    std::set<unsigned> listed;
    for (const CacheInfo& c : b.caches)
      if (of_key(c)) listed.insert(c.pcpus.begin(), c.pcpus.end());
    std::map<std::string, std::vector<const PhysicalCpu*>> missing;  // by core type
    for (const PhysicalCpu& p : b.pcpus)
      if (!listed.count(p.id)) missing[p.core_type].push_back(&p);

    for (const auto& [core_type, threads] : missing) {
      // The caches of this level and type that list threads of this core
      // type, and the (APIC ID, cache id) pairs they give.
      std::vector<std::pair<u32, unsigned>> pairs;
      std::optional<std::size_t> model;  // a cache whose geometry the core type's threads share
      for (std::size_t i = 0; i < b.caches.size(); ++i) {
        const CacheInfo& c = b.caches[i];
        if (!of_key(c)) continue;
        for (unsigned id : c.pcpus)
          if (by_id.at(id)->core_type == core_type) {
            pairs.push_back({by_id.at(id)->apic_id, c.id});
            if (!model) model = i;
          }
      }
      if (!model) continue;
      const std::optional<unsigned> shift = agreed_shift(pairs);
      if (!shift) continue;
      for (const PhysicalCpu* p : threads) {
        const unsigned id = *shift == kMaxShift ? 0 : static_cast<unsigned>(p->apic_id >> *shift);
        auto same =
            std::find_if(b.caches.begin(), b.caches.end(), [&](const CacheInfo& c) { return of_key(c) && c.id == id; });
        if (same == b.caches.end()) {
          CacheInfo c = b.caches[*model];
          c.id = id;
          c.pcpus.clear();
          b.caches.push_back(c);
          same = b.caches.end() - 1;
        }
        same->pcpus.push_back(p->id);
        took[p->id].push_back(fmt::format("{} {:#x}", level_name(*same), id));
      }
    }
  }

  std::vector<std::string> lines;
  for (const auto& [id, caches] : took) {
    const PhysicalCpu& p = *by_id.at(id);
    lines.push_back(fmt::format("pCPU {} (APIC ID {:#x}{}{}): {}", id, p.apic_id, p.core_type.empty() ? "" : ", ",
                                p.core_type, joined(caches, ", ")));
  }
  return lines;
}

}  // namespace ivsim
