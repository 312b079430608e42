// Reads an ACRN board file, as ACRN's board inspector writes it, into a
// Board: the CPU model (which picks the timing profile) and frequency, the
// pCPU topology from processors/die/core/thread with each thread's
// core_type, the caches, the physical address width and the RAM size.
#pragma once

#include <string>

#include "platforms/board.h"
#include "platforms/config_error.h"
#include "platforms/xml_document.h"

namespace ivsim {

// `where` locates errors about the file as a whole (it cannot be opened);
// errors inside it are located in it, with the element path, e.g.
// "processors/die[0]/core[2]/thread[0]/cpu_id". The board's timing_profile
// is left empty: the CPU model map decides at run time (profile_choice.h).
Board load_board_xml(const std::string& path, const SourceLocation& where);
Board read_board_xml(const XmlDocument& doc);
Board parse_board_xml(const std::string& text, const std::string& file);  // for tests

// A board file names its board on the root element and, unlike a scenario
// file, has no hv or vm element.
bool is_acrn_board_file(const XmlDocument& doc);

}  // namespace ivsim
