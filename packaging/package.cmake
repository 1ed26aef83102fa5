# What `cpack -G DEB` packs (scripts/package.sh): the binary, the systemd
# unit, an example /etc/turnout/turnout.yaml, a man page made from the CLI's
# own --help, logrotate's snippet, and a postinst creating the user.

find_program(HELP2MAN help2man REQUIRED)
find_program(GZIP gzip REQUIRED)

set(TURNOUT_MAN_PAGE ${CMAKE_BINARY_DIR}/turnout.1.gz)
add_custom_command(
  OUTPUT ${TURNOUT_MAN_PAGE}
  COMMAND ${HELP2MAN} --no-info --section=1
          "--name=a reverse proxy whose routing changes go live without a restart"
          --output=${CMAKE_BINARY_DIR}/turnout.1 $<TARGET_FILE:turnout>
  COMMAND ${GZIP} -9nf ${CMAKE_BINARY_DIR}/turnout.1
  DEPENDS turnout
  COMMENT "man page from turnout --help")
add_custom_target(turnout_man_page ALL DEPENDS ${TURNOUT_MAN_PAGE})

set(TURNOUT_CHANGELOG ${CMAKE_BINARY_DIR}/changelog.gz)
add_custom_command(
  OUTPUT ${TURNOUT_CHANGELOG}
  COMMAND ${GZIP} -9nc ${PROJECT_SOURCE_DIR}/packaging/changelog > ${TURNOUT_CHANGELOG}
  DEPENDS ${PROJECT_SOURCE_DIR}/packaging/changelog)
add_custom_target(turnout_changelog ALL DEPENDS ${TURNOUT_CHANGELOG})

install(TARGETS turnout RUNTIME DESTINATION bin)
install(FILES ${TURNOUT_MAN_PAGE} DESTINATION share/man/man1)
install(FILES packaging/copyright ${TURNOUT_CHANGELOG} DESTINATION share/doc/turnout)
# Absolute: Debian 12 keeps units in /lib and configuration in /etc.
install(FILES packaging/turnout.service DESTINATION /lib/systemd/system)
install(FILES packaging/turnout.yaml DESTINATION /etc/turnout)
install(FILES packaging/turnout.logrotate DESTINATION /etc/logrotate.d RENAME turnout)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME turnout)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CONTACT "turnout maintainers <turnout@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "reverse proxy whose routing changes go live without a restart")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "A master process binds the listeners and runs one single-threaded worker\nper CPU; routes, splits, rollouts and upstreams change through an admin\nsocket with no restart, and the binary upgrades without dropping a\nconnection.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/turnout-proxy/turnout")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/postinst ${PROJECT_SOURCE_DIR}/packaging/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
