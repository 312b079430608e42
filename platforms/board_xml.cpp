#include "platforms/board_xml.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "platforms/board_cache_completion.h"

namespace ivsim {

namespace {

std::string hex(unsigned long long v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", v);
  return buf;
}

std::string indexed(const std::string& path, const char* name, std::size_t i) {
  return (path.empty() ? "" : path + "/") + name + "[" + std::to_string(i) + "]";
}
std::string child_path(const std::string& path, const char* name) { return (path.empty() ? "" : path + "/") + name; }

class BoardReader {
 public:
  explicit BoardReader(const XmlDocument& doc) : doc_(doc) {}

  Board read() {
    const pugi::xml_node root = doc_.root();
    Board b;
    const pugi::xml_attribute name = root.attribute("board");
    if (std::strcmp(root.name(), "acrn-config") != 0 || !name) {
      const bool scenario = root.child("hv") || root.child("vm");
      fail(root, "",
           scenario ? "this is an ACRN scenario file, not a board file (give it with --scenario)"
                    : "expected an ACRN board file: a root element <acrn-config board=\"NAME\">");
    }
    b.name = name.value();
    if (b.name.empty()) throw ConfigError(doc_.at_attribute(root, "board"), "@board", "board name must not be empty");

    // ACRN's board inspector writes the thread topology and caches since
    // v2.5; an earlier one's file lists only the pCPU ids (CPU_PROCESSOR_INFO).
    if (!root.child("processors") && root.child("CPU_PROCESSOR_INFO"))
      fail(root, "",
           "missing element processors: this board file comes from the board inspector of an ACRN before v2.5, "
           "which lists the pCPU ids (CPU_PROCESSOR_INFO) but not their cores, APIC IDs or caches; generate it "
           "again with ACRN 2.5's or a later board_inspector.py, or describe the board in YAML (docs/boards.md)");
    const pugi::xml_node processors = required(root, "", "processors");
    const pugi::xml_node model = required(processors, "processors", "model");
    b.cpu_model = model.attribute("description").value();
    b.family_id = static_cast<unsigned>(
        number(required(model, "processors/model", "family_id"), "processors/model/family_id", 0xFFFF));
    b.model_id = static_cast<unsigned>(
        number(required(model, "processors/model", "model_id"), "processors/model/model_id", 0xFFFF));
    read_frequency(root, b);
    if (const auto caps = xml_children(model, "capability"); !caps.empty())
      b.core_capabilities_msr = std::any_of(caps.begin(), caps.end(), [](const pugi::xml_node c) {
        return std::strcmp(c.attribute("id").value(), "ia32_core_capabilities") == 0;
      });
    for (const pugi::xml_node a : xml_children(model, "attribute"))
      if (std::strcmp(a.attribute("id").value(), "physical_address_bits") == 0)
        b.physical_address_bits = static_cast<unsigned>(number(a, "processors/model/attribute", 52));

    read_ram(required(root, "", "TOTAL_MEM_INFO"), b);
    read_topology(processors, b);
    if (const pugi::xml_node caches = root.child("caches")) read_caches(caches, b);
    b.pci = read_board_pci(doc_);
    // <ioapics>: what ACRN's acpi_base.c parses from the MADT at boot, one
    // vIOAPIC of the Service VM each (vioapic_init).
    if (const pugi::xml_node ioapics = root.child("ioapics")) {
      const auto list = xml_children(ioapics, "ioapic");
      for (std::size_t i = 0; i < list.size(); ++i)
        b.ioapics.push_back(number(required(list[i], indexed("ioapics", "ioapic", i), "address"),
                                   indexed("ioapics", "ioapic", i) + "/address", 0xFFFF'FFFFULL));
    }
    if (const std::vector<std::string> took = complete_cache_lists(b); !took.empty()) {
      // Once per process: a run reads its board file twice (loading, then running).
      static std::set<std::string> warned;
      const std::string what = b.name + ": " + joined_lines(took);
      if (warned.insert(what).second)
        spdlog::warn(
            "board {}: the board file lists no caches for {} thread{} (the board inspector did not reach them); "
            "each takes its core type's caches at the ids the inspector would have given (APIC ID >> the sharing "
            "bits): {}",
            b.name, took.size(), took.size() == 1 ? "" : "s", joined_lines(took));
    }
    return b;
  }

 private:
  [[noreturn]] void fail(pugi::xml_node at, const std::string& path, const std::string& msg) const {
    throw ConfigError(doc_.at(at), path, msg);
  }
  [[noreturn]] void fail_value(pugi::xml_node at, const std::string& path, const std::string& msg) const {
    throw ConfigError(doc_.at_value(at), path, msg);
  }

  pugi::xml_node required(pugi::xml_node parent, const std::string& path, const char* name) const {
    const pugi::xml_node n = parent.child(name);
    if (!n) fail(parent, path, std::string("missing element ") + name);
    return n;
  }

  unsigned long long number(pugi::xml_node n, const std::string& path, unsigned long long max) const {
    const std::string t = xml_text(n);
    unsigned long long v = 0;
    if (!parse_xml_uint(t, v)) fail_value(n, path, "expected a number (decimal or 0x hex), got \"" + t + "\"");
    if (v > max) fail_value(n, path, "must be at most " + std::to_string(max) + ", got " + t);
    return v;
  }

  unsigned long long id_attribute(pugi::xml_node n, const std::string& path) const {
    const pugi::xml_attribute a = n.attribute("id");
    unsigned long long v = 0;
    if (!a) fail(n, path, "missing attribute id");
    if (!parse_xml_uint(a.value(), v) || v > 0xFFFFFFFFULL)
      throw ConfigError(doc_.at_attribute(n, "id"), path + "/@id",
                        std::string("expected a number (decimal or 0x hex), got \"") + a.value() + "\"");
    return v;
  }

  // "32721136 kB", as /proc/meminfo says it.
  void read_ram(pugi::xml_node n, Board& b) const {
    const std::string t = xml_text(n);
    const auto space = t.find(' ');
    unsigned long long kb = 0;
    if (space == std::string::npos || t.substr(space + 1) != "kB" || !parse_xml_uint(t.substr(0, space), kb) ||
        kb < 1024)
      fail_value(n, "TOTAL_MEM_INFO", "expected the RAM size as \"N kB\", got \"" + t + "\"");
    b.ram_mib = kb / 1024;
  }

  void read_topology(pugi::xml_node processors, Board& b) {
    const auto dies = xml_children(processors, "die");
    if (dies.empty()) fail(processors, "processors", "missing element die");
    std::map<unsigned, std::string> cpu_ids;  // cpu_id -> path, for duplicates
    for (std::size_t d = 0; d < dies.size(); ++d) {
      const std::string dp = indexed("processors", "die", d);
      const auto die_id = static_cast<unsigned>(id_attribute(dies[d], dp));
      const auto cores = xml_children(dies[d], "core");
      for (std::size_t c = 0; c < cores.size(); ++c) {
        const std::string cp = indexed(dp, "core", c);
        const auto core_id = static_cast<unsigned>(id_attribute(cores[c], cp));
        const auto threads = xml_children(cores[c], "thread");
        for (std::size_t t = 0; t < threads.size(); ++t) {
          const std::string tp = indexed(cp, "thread", t);
          PhysicalCpu p;
          p.die = die_id;
          p.core = core_id;
          p.thread = static_cast<unsigned>(id_attribute(threads[t], tp));
          if (const pugi::xml_node ct = threads[t].child("core_type")) p.core_type = xml_text(ct);
          const pugi::xml_node cpu_id = required(threads[t], tp, "cpu_id");
          p.id = static_cast<unsigned>(number(cpu_id, child_path(tp, "cpu_id"), 65535));
          if (auto it = cpu_ids.find(p.id); it != cpu_ids.end())
            fail_value(cpu_id, child_path(tp, "cpu_id"),
                       "duplicate cpu_id " + std::to_string(p.id) + " (also " + it->second + ")");
          cpu_ids[p.id] = tp;
          const pugi::xml_node apic = required(threads[t], tp, "apic_id");
          p.apic_id = static_cast<u32>(number(apic, child_path(tp, "apic_id"), 0xFFFFFFFFULL));
          apic_to_cpu_[p.apic_id] = p.id;
          b.pcpus.push_back(p);
        }
      }
    }
    if (b.pcpus.empty()) fail(processors, "processors", "no thread with a cpu_id");
  }

  // The nominal core clock: the model description's "@ 1.80GHz" (the brand
  // string), else ACPI's P-state table as the board inspector prints it in
  // PX_INFO, one "{core frequency MHz, power, latency, ...}" row per state.
  // P0 one MHz above P1 is the turbo range (ACPI's convention), so the
  // nominal clock is P1's then.
  void read_frequency(pugi::xml_node root, Board& b) const {
    if ((b.frequency_mhz = frequency_from_description(b.cpu_model)) != 0) {
      b.frequency_source = "model description \"" + b.cpu_model + "\"";
      return;
    }
    const pugi::xml_node px = root.child("PX_INFO");
    if (!px) return;
    std::vector<unsigned long long> mhz;
    const std::string t = xml_text(px);
    for (std::size_t at = t.find('{'); at != std::string::npos; at = t.find('{', at + 1)) {
      char* end = nullptr;
      const unsigned long long v = std::strtoull(t.c_str() + at + 1, &end, 0);
      if (end != t.c_str() + at + 1 && v > 0 && v < 100000) mhz.push_back(v);
    }
    if (mhz.empty()) return;
    if (mhz.size() >= 2 && mhz[0] == mhz[1] + 1) {
      b.frequency_mhz = static_cast<unsigned>(mhz[1]);
      b.frequency_source =
          "PX_INFO P1 (" + std::to_string(mhz[1]) + " MHz; P0 " + std::to_string(mhz[0]) + " MHz is the turbo range)";
    } else {
      b.frequency_mhz = static_cast<unsigned>(mhz[0]);
      b.frequency_source = "PX_INFO P0 (" + std::to_string(mhz[0]) + " MHz)";
    }
  }

  // Caches name the logical processors sharing them by APIC id; the twin
  // keys everything by pCPU id, so map through the threads' apic_id.
  void read_caches(pugi::xml_node caches, Board& b) const {
    const auto list = xml_children(caches, "cache");
    std::map<unsigned, unsigned> per_level;  // caches seen so far by level: the id of one without

    for (std::size_t i = 0; i < list.size(); ++i) {
      const pugi::xml_node n = list[i];
      const std::string p = indexed("caches", "cache", i);
      CacheInfo c;
      c.type = static_cast<unsigned>(attribute_number(n, p, "type", 3));
      if (c.type == 2) continue;  // instruction caches: guests' data accesses never use them
      c.level = static_cast<unsigned>(attribute_number(n, p, "level", 4));
      c.id =
          n.attribute("id") ? static_cast<unsigned>(attribute_number(n, p, "id", 0xFFFFFFFFULL)) : per_level[c.level];
      ++per_level[c.level];
      c.size_bytes = number(required(n, p, "cache_size"), child_path(p, "cache_size"), 1ULL << 40);
      c.ways = static_cast<unsigned>(number(required(n, p, "ways"), child_path(p, "ways"), 65535));
      c.line_bytes = static_cast<unsigned>(number(required(n, p, "line_size"), child_path(p, "line_size"), 65535));
      if (const pugi::xml_node incl = n.child("cache_inclusiveness"))
        c.inclusive = number(incl, child_path(p, "cache_inclusiveness"), 1) != 0;
      const auto procs = xml_children(required(n, p, "processors"), "processor");
      for (std::size_t k = 0; k < procs.size(); ++k) {
        const std::string pp = indexed(child_path(p, "processors"), "processor", k);
        const unsigned long long apic = number(procs[k], pp, 0xFFFFFFFFULL);
        const auto it = apic_to_cpu_.find(apic);
        if (it == apic_to_cpu_.end()) fail_value(procs[k], pp, "no thread in processors has apic_id " + hex(apic));
        c.pcpus.push_back(it->second);
      }
      read_cat(n, p, c);
      b.caches.push_back(c);
    }
  }

  // Cache allocation as the board inspector writes it from CPUID leaf 0x10
  // (board_inspector/extractors/20-cache.py): <capability id="CAT"> with
  // capacity_mask_length and clos_number, and <capability id="CDP"/> beside
  // it, or inside it when the L3's CAT was inferred or given by hand.
  void read_cat(pugi::xml_node n, const std::string& p, CacheInfo& c) const {
    const auto caps = xml_children(n, "capability");
    for (std::size_t k = 0; k < caps.size(); ++k) {
      const std::string cp = indexed(p, "capability", k);
      const std::string id = caps[k].attribute("id").value();
      if (id == "CDP") c.cat.cdp = true;
      if (id != "CAT") continue;
      c.cat.capacity_mask_length = static_cast<unsigned>(
          number(required(caps[k], cp, "capacity_mask_length"), child_path(cp, "capacity_mask_length"), 32));
      c.cat.clos_number =
          static_cast<unsigned>(number(required(caps[k], cp, "clos_number"), child_path(cp, "clos_number"), 128));
      if (c.cat.capacity_mask_length == 0 || c.cat.clos_number == 0)
        fail(caps[k], cp, "a CAT capability needs capacity_mask_length and clos_number of at least 1");
      for (const pugi::xml_node inner : xml_children(caps[k], "capability"))
        if (std::strcmp(inner.attribute("id").value(), "CDP") == 0) c.cat.cdp = true;
    }
  }

  unsigned long long attribute_number(pugi::xml_node n, const std::string& path, const char* name,
                                      unsigned long long max) const {
    const pugi::xml_attribute a = n.attribute(name);
    unsigned long long v = 0;
    if (!a) fail(n, path, std::string("missing attribute ") + name);
    if (!parse_xml_uint(a.value(), v) || v > max)
      throw ConfigError(doc_.at_attribute(n, name), path + "/@" + name,
                        "expected a number from 0 to " + std::to_string(max) + ", got \"" + a.value() + "\"");
    return v;
  }

  const XmlDocument& doc_;
  std::map<unsigned long long, unsigned> apic_to_cpu_;
};

}  // namespace

Board load_board_xml(const std::string& path, const SourceLocation& where) {
  return read_board_xml(XmlDocument::load(path, "board file", where, "board"));
}

Board read_board_xml(const XmlDocument& doc) { return BoardReader(doc).read(); }

Board parse_board_xml(const std::string& text, const std::string& file) {
  return read_board_xml(XmlDocument::parse(text, file));
}

bool is_acrn_board_file(const XmlDocument& doc) {
  const pugi::xml_node root = doc.root();
  // An ACRN 2.x launch file has the same root, with its own attribute.
  return std::strcmp(root.name(), "acrn-config") == 0 && root.attribute("board") && !root.child("hv") &&
         !root.child("vm") && !root.attribute("user_vm_launcher") && !root.attribute("uos_launcher");
}

}  // namespace ivsim
