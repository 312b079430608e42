# `cmake --install`: the libraries with their headers and an exported
# ivsimConfig.cmake (find_package(ivsim) gives ivsim::cores, ivsim::models,
# ivsim::workloads, ivsim::platforms, ivsim::sim), the ivsim binary, and the
# shipped profiles, boards and scenarios under share/ivsim. `cpack -G DEB`
# packs the same tree. docs/hardening.md shows both.
include(CMakePackageConfigHelpers)

set(IVSIM_LIBRARIES ivsim_cores ivsim_models ivsim_workloads ivsim_platforms ivsim_sim)
foreach(lib ${IVSIM_LIBRARIES})
  string(REPLACE "ivsim_" "" name ${lib})
  set_target_properties(${lib} PROPERTIES EXPORT_NAME ${name})
endforeach()

install(TARGETS ${IVSIM_LIBRARIES} EXPORT ivsimTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ivsim)
install(TARGETS ivsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(layer models workloads platforms sim)
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/${layer} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ivsim
          FILES_MATCHING PATTERN "*.h")
endforeach()
install(DIRECTORY ${CMAKE_SOURCE_DIR}/platforms/scenarios ${CMAKE_SOURCE_DIR}/platforms/boards
                  ${CMAKE_SOURCE_DIR}/platforms/profiles ${CMAKE_SOURCE_DIR}/platforms/calibration
                  ${CMAKE_SOURCE_DIR}/platforms/acrn
        DESTINATION ${CMAKE_INSTALL_DATADIR}/ivsim)
install(FILES ${CMAKE_SOURCE_DIR}/platforms/cpu-models.yaml DESTINATION ${CMAKE_INSTALL_DATADIR}/ivsim)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(IVSIM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ivsim)
set(IVSIM_SHARE_DIR ${CMAKE_INSTALL_DATADIR}/ivsim)
install(EXPORT ivsimTargets NAMESPACE ivsim:: DESTINATION ${IVSIM_CMAKE_DIR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/ivsimConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/ivsimConfig.cmake INSTALL_DESTINATION ${IVSIM_CMAKE_DIR}
                              PATH_VARS IVSIM_SHARE_DIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/ivsimConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/ivsimConfig.cmake ${CMAKE_BINARY_DIR}/ivsimConfigVersion.cmake
        DESTINATION ${IVSIM_CMAKE_DIR})

# The Debian package: Depends from dpkg-shlibdeps (the binary's shared
# libraries, as Debian names their packages); the -dev packages the
# exported libraries need to be linked are Recommends.
set(CPACK_PACKAGE_NAME ivsim)
set(CPACK_PACKAGE_VENDOR "ivsim")
set(CPACK_PACKAGE_CONTACT "ivsim maintainers <ivsim@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "SystemC/TLM-2.0 digital twin of ACRN's inter-VM shared memory (IVSHMEM)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
    "libsystemc-dev, libspdlog-dev, libfmt-dev, libyaml-cpp-dev, libpugixml-dev, nlohmann-json3-dev, pkg-config")
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/LICENSE)
include(CPack)
