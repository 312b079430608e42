// A board file whose cache list leaves threads out (the board inspector did
// not reach them): each missing thread takes what the inspector would have
// listed for it. Checked by taking threads out of the shipped Alder Lake
// board's list and comparing the completed topology with the full one.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "platforms/board_cache_completion.h"
#include "platforms/board_xml.h"
#include "platforms/config_error.h"
#include "platforms/host_caches.h"

using namespace ivsim;

namespace {

const std::string kAdl = std::string(IVSIM_TESTS_DIR) + "/../platforms/acrn/adl-i7-12700e/adl-i7-12700e.xml";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The board text with the threads of these APIC IDs left out of every cache
// (a cache that served only them is left out whole).
std::string without_threads(std::string text, const std::vector<std::string>& apic_ids) {
  for (const std::string& a : apic_ids)
    for (std::size_t at; (at = text.find("<processor>" + a + "</processor>")) != std::string::npos;)
      text.erase(at, std::string("<processor>" + a + "</processor>").size());
  std::string out;
  std::size_t from = 0;
  for (std::size_t at; (at = text.find("<cache ", from)) != std::string::npos;) {
    const std::size_t end = text.find("</cache>", at) + std::string("</cache>").size();
    out += text.substr(from, at - from);
    const std::string cache = text.substr(at, end - at);
    if (cache.find("<processor>") != std::string::npos) out += cache;
    from = end;
  }
  return out + text.substr(from);
}

struct Shared {
  u64 size;
  unsigned ways;
  unsigned id;
  std::vector<unsigned> cores;
  bool operator<(const Shared& o) const { return id < o.id; }
  bool operator==(const Shared& o) const { return size == o.size && ways == o.ways && id == o.id && cores == o.cores; }
};

std::vector<Shared> shared(const std::vector<SharedCacheConfig>& list) {
  std::vector<Shared> out;
  for (const SharedCacheConfig& c : list) {
    Shared s{c.geometry.size_bytes, c.geometry.ways, c.id, c.cores};
    std::sort(s.cores.begin(), s.cores.end());
    out.push_back(s);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void require_same_topology(const CacheTopology& a, const CacheTopology& b) {
  REQUIRE(a.l1d.size() == b.l1d.size());
  for (std::size_t p = 0; p < a.l1d.size(); ++p) {
    CAPTURE(p);
    CHECK(a.l1d[p].size_bytes == b.l1d[p].size_bytes);
    CHECK(a.l1d[p].ways == b.l1d[p].ways);
  }
  CHECK(shared(a.l2) == shared(b.l2));
  CHECK(shared(a.llc) == shared(b.llc));
  CHECK(a.distance == b.distance);
}

}  // namespace

TEST_CASE("a thread the board file's cache list leaves out takes the caches the inspector would list") {
  const std::string full = slurp(kAdl);
  REQUIRE(full.find("<caches>") != std::string::npos);
  const Board reference = parse_board_xml(full, kAdl);
  // Three E-cores of the four in their module (one L1D each, a shared L2)
  // and one P-core's second thread (the L1D and L2 its sibling lists).
  const std::string cut = without_threads(full, {"0x4a", "0x4c", "0x4e", "0x9"});
  REQUIRE(cut != full);
  REQUIRE(std::count(cut.begin(), cut.end(), '\n') < std::count(full.begin(), full.end(), '\n'));
  const Board completed = parse_board_xml(cut, kAdl);
  require_same_topology(cache_topology(completed), cache_topology(reference));
  // A complete list is left as it is: the full board reads as exactly the
  // file's data and unified caches, each with the threads it lists.
  std::size_t caches = 0, listed = 0, read = 0;
  for (std::size_t at = 0; (at = full.find("<cache level=", at)) != std::string::npos; ++at) {
    const std::size_t end = full.find("</cache>", at);
    if (full.compare(full.find("type=", at), 8, "type=\"2\"") == 0) continue;  // instruction caches are not read
    ++caches;
    for (std::size_t p = at; (p = full.find("<processor>", p)) < end; ++p) ++listed;
  }
  for (const CacheInfo& c : reference.caches) read += c.pcpus.size();
  CHECK(reference.caches.size() == caches);
  CHECK(read == listed);
}

TEST_CASE("the warning names each completed pCPU and the caches it took") {
  Board b = parse_board_xml(slurp(kAdl), kAdl);
  const std::size_t caches = b.caches.size();
  // pCPU 17 (APIC ID 0x4a) out of every list, as the inspector would leave it.
  for (CacheInfo& c : b.caches) c.pcpus.erase(std::remove(c.pcpus.begin(), c.pcpus.end(), 17u), c.pcpus.end());
  b.caches.erase(std::remove_if(b.caches.begin(), b.caches.end(), [](const CacheInfo& c) { return c.pcpus.empty(); }),
                 b.caches.end());
  REQUIRE(b.caches.size() == caches - 1);  // its own L1D went
  const std::vector<std::string> lines = complete_cache_lists(b);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "pCPU 17 (APIC ID 0x4a, Atom): L1D 0x25, L2 0x9, L3 0x0");
  CHECK(b.caches.size() == caches);
}

TEST_CASE("a core type none of whose threads the cache list names is left to the error") {
  // All four E-cores out: nothing says what an Atom thread's caches are.
  const std::string cut = without_threads(slurp(kAdl), {"0x48", "0x4a", "0x4c", "0x4e"});
  const Board b = parse_board_xml(cut, kAdl);
  try {
    cache_topology(b);
    FAIL("expected the board to be refused");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("has no level-1 data cache") != std::string::npos);
  }
}
