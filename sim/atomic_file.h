// Writing output files so a reader never sees a half-written one: a crash or
// a full disk leaves either the old file or the new one, never a mix.
//
// Only regular files are replaced. A target that exists and is anything
// else (a folder, a device such as /dev/null, a FIFO, a socket) is refused:
// renaming over it would replace the node itself. A symlink is written
// through: the file it points to is replaced and the link stays a link.
#pragma once

#include <string>

#include "platforms/config_error.h"

namespace ivsim {

// Checks, before any work, that write_file_atomic(path) can succeed: the
// path does not end in '/', its folder exists and is writable, and what is
// at the path (after following symlinks) is absent or a regular file.
// Throws ConfigError at `where` (the option, e.g. --report) otherwise.
void check_output_file(const std::string& path, const SourceLocation& where);

// Writes content to a temporary file next to the target (the symlink's
// target when path is one), fsyncs it and renames it over the target. On
// failure the temporary file is removed and std::runtime_error names the
// path and strerror.
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace ivsim
