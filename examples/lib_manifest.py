# The library every image freezes, included by monitor/manifest.py and by
# each script's manifest.py: the stubmon package (monitor/stubmon/) and the
# hypercall layouts generated for the image's arch (tools/xenabi;
# port-xen/Makefile passes XENABI_DIR=build/xenabi/<arch>). Paths are
# relative to this file (manifestfile chdirs here).
package('stubmon', base_path='../monitor')
freeze('$(XENABI_DIR)')
