// A board file whose <caches> list leaves some threads out. ACRN's board
// inspector writes the list by running CPUID leaf 4 on every thread and
// naming each cache by the thread's APIC ID shifted right by the bits of the
// threads sharing it (extractors/20-cache.py, extract_topology): a thread it
// did not reach is missing from every cache, as six of the sixteen threads
// of v2.5's adl-s-crb sample are (ACRN shipped that board file with four
// scenarios for it). The twin needs every pCPU's caches.
//
// A missing thread gets what the inspector would have written for it:
// CPUID leaf 4 reports the same caches for every thread of a core type, so
// for each cache level and type its core type's listed threads have, the
// shift is the one their APIC IDs and cache ids agree on, and the thread
// joins the cache of id APIC ID >> shift, or a new one of that id with the
// same geometry. A thread whose core type has no listed thread, or whose
// listed threads agree on no shift, is left as it is (the run then refuses
// the board, naming the pCPU).
#pragma once

#include <string>
#include <vector>

#include "platforms/board.h"

namespace ivsim {

// Completes b.caches; returns one line per pCPU completed, saying which
// caches it took, for the warning the caller gives.
std::vector<std::string> complete_cache_lists(Board& b);
// Those lines as one, "; " between them.
std::string joined_lines(const std::vector<std::string>& lines);

}  // namespace ivsim
