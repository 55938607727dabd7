# SPDX-License-Identifier: MIT
"""make bench BENCH_AGAINST=REV (tools/bench.py --against REV): the same
figures from another commit's image in the same run, its boots alternating
with this tree's, for a change that must not make a poll slower or the
image larger. The other commit is checked out as a git worktree under
build/against/ and built there with the same make; its boots use its own
image through this tree's harness (the test options used here, demo=,
raw=, stats= and exit=qemu, are older than both)."""

import os
import subprocess

import boot

AGAINST_DIR = os.path.join(boot.REPO, "build", "against")


def _git(*args, cwd=boot.REPO):
    return subprocess.run(
        ("git",) + args, cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def checkout(rev):
    """REV's tree as a worktree (made once), sharing this tree's .deps."""
    sha = _git("rev-parse", "--verify", rev + "^{commit}")
    tree = os.path.join(AGAINST_DIR, sha[:12])
    if not os.path.isdir(tree):
        os.makedirs(AGAINST_DIR, exist_ok=True)
        _git("worktree", "add", "--detach", tree, sha)
    deps = os.path.join(tree, ".deps")
    if not os.path.lexists(deps):
        os.symlink(os.path.join(boot.REPO, ".deps"), deps)
    return sha[:12], tree


def build(tree, board, variant):
    """The image of TREE (its own make, the same Xen releases' layouts as
    this tree: ../shared/xen beside this repo, when there)."""
    shared = os.environ.get("XEN_SHARED") or os.path.join(
        os.path.dirname(boot.REPO), "shared", "xen"
    )
    subprocess.run(
        [
            "timeout",
            "900",
            "make",
            "-s",
            "-C",
            os.path.join(tree, "port-xen"),
            "BOARD=" + board,
            "VARIANT=" + variant,
            "XEN_SHARED=" + shared,
            "-j2",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    name = board + ("-test" if variant == "test" else "")
    return os.path.join(tree, "build", name)


def text_data(build_dir):
    out = subprocess.run(
        ["size", os.path.join(build_dir, "stubmon.elf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    text, data = out.splitlines()[1].split()[:2]
    return int(text), int(data)


def compare(board, xen, rev, run_stats, median, sizes=(1, 100, 1000), interval_s=3, polls=6):
    """One poll (median of polls 2 to the last, us) at each N, view=all and
    view=changes, each boot of REV's image followed by this tree's; then
    the production image's text and data of both."""
    sha, tree = checkout(rev)
    head = _git("rev-parse", "--short=12", "HEAD")
    theirs = build(tree, board, "test")
    ours = boot.build_dir(board)
    print(
        "  against %s (%s): one poll, us (xen %s, PV dom0, interval %d s, medians of polls 2-%d;"
        " boots alternating, %s first)" % (rev, sha, xen, interval_s, polls, sha)
    )
    print("    %5s %-8s %9s %9s %7s" % ("N", "view", sha[:9], head[:9], "change"))
    for n in sizes:
        base = "demo=%d demo_keep=0 interval=%d count=%d" % (n - 1, interval_s, polls)
        for view in ("all", "changes"):
            fig = []
            for image in (theirs, ours):
                rows, _ = run_stats(
                    board,
                    xen,
                    base + " view=" + view,
                    60 + interval_s * polls + n // 10,
                    image=image,
                )
                fig.append(median([r["poll_us"] for r in rows[1:]]) if rows else None)
            change = "%+.1f%%" % (100.0 * (fig[1] - fig[0]) / fig[0]) if all(fig) else "-"
            print("    %5d %-8s %9s %9s %7s" % (n, view, fig[0] or "-", fig[1] or "-", change))
    mine = build(boot.REPO, board, "standard")  # make: up to date, or made so
    a, b = text_data(build(tree, board, "standard")), text_data(mine)
    print(
        "  production image (make), text+data: %s %d (%d + %d), %s %d (%d + %d): %+d B"
        % (sha[:9], sum(a), a[0], a[1], head[:9], sum(b), b[0], b[1], sum(b) - sum(a))
    )


def layouts_cost(board):
    """What each Xen release's layouts add to the production image: the
    image with every generated release against one built with 4.17's
    layouts only (the port's own make, its layouts generated apart in
    build/bench-layouts/). Returns (releases, text+data all, text+data
    4.17 only)."""
    arch = "aarch64" if board == "arm64" else board
    index = {}
    with open(os.path.join(boot.REPO, "build", "xenabi", arch, "xenabi_%s.py" % arch)) as f:
        exec(f.read(), index)
    top = os.path.join(boot.REPO, "build", "bench-layouts")
    deps = os.path.join(top, "deps")
    os.makedirs(deps, exist_ok=True)
    link = os.path.join(deps, "libxen-dev-4.17")
    if not os.path.islink(link):
        os.symlink(os.path.join(boot.DEPS, "pkg", "libxen-dev-4.17"), link)
    one = os.path.join(top, board)
    subprocess.run(
        [
            "timeout",
            "900",
            "make",
            "-s",
            "-C",
            os.path.join(boot.REPO, "port-xen"),
            "BOARD=" + board,
            "VARIANT=standard",
            "BUILD=" + one,
            "XENABI_OUT=" + os.path.join(top, "gen"),
            "XENABI_DEPS=" + deps,
            "XEN_SHARED=" + os.path.join(top, "none"),
            "-j2",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    mine = build(boot.REPO, board, "standard")  # make: up to date, or made so
    return index["RELEASES"], sum(text_data(mine)), sum(text_data(one))
