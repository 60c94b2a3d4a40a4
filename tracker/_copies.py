"""Other lines of history, collect's copies half: what release branches and backports hold
beside a build's own line, the commits reverts and cherry-picks name, and the copies of a
range's commits made without saying so (a backport without `-x`, found by subject and patch
id). `_earlier.EarlierHistory` builds on it, and `collect.Collector` on that: one interface,
kept in modules by what they hold.
"""

from __future__ import annotations

from tracker import _git as git
from tracker import _otherlines as otherlines

TYPE_CHECKING = False  # as in collect: typing stays unloaded on the early start's path

if TYPE_CHECKING:
    from collections.abc import Callable, Container, Iterable, Mapping, Sequence

    from tracker import _grammar as links
    from tracker import _scan
    from tracker._linkindex import LinkIndex
    from tracker._model import Tag

# Ranges up to this many commits are searched for unmarked copies of closing commits (a
# patch release's size; a long range would grep for tens of thousands of subjects).
_COPIES_UP_TO = 2000
# Shorter subjects ("Fix typo") say too little to look for a copy's original by.
_SUBJECT_AT_LEAST = 12
# Commits compared by patch id whatever their subject, on either side of a copy.
_PATCHES_AT_MOST = 200
# What every reference to a request holds (`#N`, `GH-N`, an issue's or discussion's address):
# a message without one closes nothing.
_REFERRING = ["#", "gh-", "/issues/", "/discussions/"]


class OtherLines:
    """The other-lines half of `collect.Collector`: copies and the originals they name (its
    state is set up there)."""

    repo: git.Repo

    if TYPE_CHECKING:
        @property
        def repo_id(self) -> links.Repository: ...

        @property
        def tags(self) -> list[Tag]: ...

        @property
        def link_index(self) -> LinkIndex: ...

    def _beside(self, tag: Tag, earlier_builds: Mapping[str, Tag], previous_sha: str | None, overridden: bool,
                repo_id: links.Repository, since: str | None,
                ) -> Callable[[], tuple[list[_scan.Linked], dict[str, str]]]:
        """Commits of earlier builds beyond the previous build's ancestry (release branches,
        backports), and, for a `--previous` that need not be an ancestor, the previous build's
        own commits this build does not hold: (those that link to something, the bare subjects
        of those that neither close nor cherry-pick anything, by sha). Read in a thread (git
        walks, this process mostly waits on its pipe); the returned function waits for them."""
        import threading
        from itertools import chain

        from tracker import _grammar as links
        from tracker import _scan

        known = self.link_index.chain_tips(previous_sha) if previous_sha else set()
        tips = [t.sha for t in earlier_builds.values() if t.sha != previous_sha and t.sha not in known
                and (since is None or t.commit_date >= since)]  # an older build holds only older commits
        linked: list[_scan.Linked] = []
        plain: dict[str, str] = {}
        failed: list[BaseException] = []

        def read() -> None:
            try:
                commits = otherlines.beyond(self.repo, sorted(set(tips)), previous_sha, since)
                if overridden and previous_sha:
                    commits = chain(commits, otherlines.beyond(self.repo, [previous_sha], tag.sha, since))
                for commit in commits:
                    parsed = links.parse(commit.message, repo_id)
                    if not parsed.empty:
                        linked.append(_scan.Linked(commit.sha, _scan.commit_author(commit), parsed))
                    if not (parsed.closes or parsed.cherry_of):  # a copy that says nothing of its original
                        plain[commit.sha] = links.bare_subject(commit.summary)
            except BaseException as exc:  # raised again where the answer is asked for
                failed.append(exc)

        if not tips and not (overridden and previous_sha):
            return lambda: (linked, plain)
        reader = threading.Thread(target=read, name="tracker-beside", daemon=True)
        reader.start()

        def answer() -> tuple[list[_scan.Linked], dict[str, str]]:
            reader.join()
            if failed:
                raise failed[0]
            return linked, plain

        return answer

    def _originals(self, scanned: _scan.Scanned, beside: Sequence[_scan.Linked],
                   repo_id: links.Repository) -> dict[str, _scan.Linked]:
        """Commits named by reverts and cherry-picks, by the sha they are named with: those
        outside the range, and every cherry-picked one."""
        from itertools import chain


        picked = {sha for parsed in chain(scanned.said, (b.parsed for b in beside)) for sha in parsed.cherry_of}
        wanted = scanned.wanted_outside() | picked | {sha for b in beside for sha in b.parsed.reverts}
        return self._read_originals(wanted, picked, repo_id)

    def _read_originals(self, wanted: set[str], picked: Container[str],
                        repo_id: links.Repository) -> dict[str, _scan.Linked]:
        """The commits `wanted` names, read from git; a cherry-picked (`picked`) merge commit
        carries what the merge brought in, as a backport bot's pick of a pull request does."""
        from dataclasses import replace

        from tracker import _grammar as links
        from tracker import _scan

        originals: dict[str, _scan.Linked] = {}
        for name, commit in git.show(self.repo, wanted).items():
            parsed = links.parse(commit.message, repo_id)
            author = _scan.commit_author(commit)
            if name in picked and len(commit.parents) > 1:
                inside = [(c, links.parse(c.message, repo_id).closes)
                          for c in otherlines.brought_in(self.repo, commit.sha)]
                parsed = replace(parsed, closes=tuple(dict.fromkeys([*parsed.closes,
                                                                     *(i for _, ids in inside for i in ids)])))
                # Who wrote the fix the merge brought in built it, not who merged it.
                author = next((_scan.commit_author(c) for c, ids in inside if ids), author)
            originals[name] = _scan.Linked(commit.sha, author, parsed)
        return originals

    def _originals_of(self, earlier: Sequence[_scan.Linked], known: Mapping[str, _scan.Linked],
                      repo_id: links.Repository) -> dict[str, _scan.Linked]:
        """The commits that earlier cherry-picks name and `known` lacks (read from git)."""

        wanted = {sha for item in earlier for sha in item.parsed.cherry_of if sha not in known}
        return self._read_originals(wanted, wanted, repo_id)

    def _derive_picks(self, items: Iterable[_scan.Linked], originals: Mapping[str, _scan.Linked] | None = None,
                      ) -> None:
        """Tell the link index what each cherry-pick among `items` closes through the commit it
        copies (what a picked merge brought in, too), so a later build's search by request
        finds the pick as an earlier closer."""

        picks = [item for item in items if item.parsed.cherry_of]
        if not picks:
            return
        names = {sha for item in picks for sha in item.parsed.cherry_of}
        known = dict(originals or {})
        known.update(self._read_originals(names - set(known), names, self.repo_id))
        for item in picks:
            ids = tuple(dict.fromkeys(i for sha in item.parsed.cherry_of if sha in known
                                      for i in known[sha].parsed.closes))
            if ids:
                self.link_index.derive(item.sha, ids)

    def _other_lines(self, tag: Tag, previous_name: str | None, previous_sha: str | None) -> git.Log | None:
        """The `git log` (started now) of what `_copies_of_unreleased` compares: the subjects of
        the commits beyond this build, on the branches that moved since the previous build, that
        refer to a request (an original that closes nothing is no original); None when no branch
        moved beyond it."""
        since = None
        if previous_sha is not None:
            # As `_earlier_builds` finds the previous build (a tag on the build's own commit is none).
            previous = next((t for t in self.tags if t.name == previous_name and t.sha != tag.sha), None)
            since = previous.commit_date if previous is not None else git.commit_date(self.repo, previous_sha)
        tips = [sha for sha in otherlines.branches_since(self.repo, since) if sha != tag.sha]
        if not tips:
            return None  # no branch moved beyond this build: nothing else to copy from
        return otherlines.subjects_log(self.repo, tips, tag.sha, _REFERRING)

    def _copies_of_unreleased(self, others: git.Log | None, scanned: _scan.Scanned,
                              repo_id: links.Repository) -> list[_scan.Linked]:
        """Commits of this range that copy, without saying so, a closing commit outside this
        build's history (a fix backported by hand to a patch release before the main line's
        next build): same subject (backport prefixes aside) and same patch (`git patch-id`).
        Each closes what its original closes. Looked for in patch-sized ranges only, over the
        branches that moved since the previous build (`others`, `_other_lines`)."""
        from tracker import _grammar as links
        from tracker import _scan

        if others is None or scanned.count > _COPIES_UP_TO:
            return []
        said = {sha for sha, _, parsed in scanned.kept() if parsed.closes or parsed.cherry_of}
        plain: dict[str, list[str]] = {}
        for change in scanned.changes:
            subject = links.bare_subject(change["summary"])
            if change["sha"] not in said and len(subject) >= _SUBJECT_AT_LEAST:
                plain.setdefault(subject, []).append(change["sha"])
        if not plain:
            return []
        # The other branches' subjects, matched here: linear in both (git would try every
        # subject on every commit).
        alike = {sha: subject for sha, subject in otherlines.subjects_of(others)
                 for subject in [links.bare_subject(subject)] if subject in plain}
        pairs = []
        for commit in git.show(self.repo, alike).values():
            parsed = links.parse(commit.message, repo_id)
            if parsed.closes:
                pairs += [(sha, commit, parsed) for sha in plain.get(alike[commit.sha], ())]
        if not pairs:
            return []
        patches = self._patch_ids({sha for sha, _, _ in pairs} | {c.sha for _, c, _ in pairs})
        return [_scan.Linked(sha, _scan.commit_author(original), links.Parsed(closes=parsed.closes))
                for sha, original, parsed in pairs if patches.get(sha) and patches[sha] == patches.get(original.sha)]

    def _patch_ids(self, shas: Iterable[str]) -> dict[str, str]:
        """`_otherlines.patch_ids`, each commit's computed once and kept in the link index."""
        wanted = set(shas)
        known = self.link_index.patches(wanted)
        missing = wanted - set(known)
        if missing:
            fresh = otherlines.patch_ids(self.repo, missing)
            # A commit with no patch (a merge, an empty change) is remembered as "" (none).
            self.link_index.remember_patches({sha: fresh.get(sha, "") for sha in missing})
            known.update(fresh)
        return {sha: patch for sha, patch in known.items() if patch}

    def _copies(self, scanned: _scan.Scanned, beside: Mapping[str, str]) -> list[_scan.Linked]:
        """Patch-identical copies, on other lines, of this range's closing commits (`beside`:
        the other lines' commits that say nothing, by sha, with their bare subjects): each
        stands for what its original closes (a backport made without `-x`). A range with more
        than a few hundred closing commits compares only those that kept a subject the other
        lines show (a patch id costs a diff; the link index keeps each one computed)."""
        from tracker import _grammar as links
        from tracker import _scan

        closing = {sha: parsed for sha, _, parsed in scanned.kept() if parsed.closes}
        if not closing:
            return []
        if len(closing) > _PATCHES_AT_MOST:  # a long range: its closing commits that kept a subject seen there
            subjects = {change["sha"]: links.bare_subject(change["summary"]) for change in scanned.changes
                        if change["sha"] in closing}
            shared = set(beside.values())
            closing = {sha: parsed for sha, parsed in closing.items() if subjects.get(sha) in shared}
        ours = self._patch_ids(closing)
        if not ours:
            return []
        theirs = self._patch_ids(beside)
        by_patch: dict[str, list[str]] = {}
        for sha, patch in ours.items():
            by_patch.setdefault(patch, []).append(sha)
        copies = []
        for sha, patch in theirs.items():
            for original in by_patch.get(patch, []):
                copies.append(_scan.Linked(sha, None, links.Parsed(closes=closing[original].closes)))
        return copies
