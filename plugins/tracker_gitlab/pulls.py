"""The merge requests behind a build's merge (and squash) commits.

A commit claims a merge request when its message carries GitLab's line
`See merge request group/project!N` (merge commits always do; squash commits
do when the project's squash template adds it). The claim counts when GitLab
agrees: the MR was merged and the claiming commit is its merge or squash
commit, or GitLab lists the MR among those that brought the commit in
(`GET /projects/:id/repository/commits/:sha/merge_requests`, asked only for
claimed commits that are neither). Commits that claim nothing are not looked
up: one request per commit of the build would cost more than the whole release.

A merged MR's own "closes issues" list (`GET .../merge_requests/:iid/closes_issues`,
100 a page: GitLab's REST API has no call for several MRs at once) counts beside
its description, as GitHub's `closingIssuesReferences` does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING

from gitlab import GitlabError

from tracker.hooks import PullRequest, Repository, claims_by_number, pull_request, references
from tracker_gitlab import client

if TYPE_CHECKING:
    from gitlab.v4.objects import Project, ProjectMergeRequest

PAGE = 100


def _associated(project: Project, mr: ProjectMergeRequest, sha: str) -> bool:
    """Does GitLab agree that commit `sha` brought `mr` in?"""
    if sha in {(mr.merge_commit_sha or "").lower(), (mr.squash_commit_sha or "").lower()}:
        return True
    # Fast-forward and rebase merges leave no merge commit: ask GitLab.
    try:
        found = project.commits.get(sha, lazy=True).merge_requests(get_all=True)
    except GitlabError as exc:
        if client.not_found(exc):  # GitLab does not know this commit: it was never pushed there
            return False
        raise
    return any(int(item["iid"]) == int(mr.iid) for item in found)


def fetch(project: Project, claims: Mapping[str, str], repository: Repository) -> dict[str, PullRequest]:
    """MR iid → PullRequest for every claimed iid that is a merge request of this project.

    `merged` is true only when the MR was merged *and* one claiming commit is
    associated with it; `closes` holds the closing references of its
    description (`Closes #12`, `Fixes group/project#12`, the issue's URL).
    """
    by_iid = claims_by_number(claims)
    wanted = sorted(by_iid)
    found: dict[int, ProjectMergeRequest] = {}
    for start in range(0, len(wanted), PAGE):  # one listing by iid per 100 claims
        for mr in project.mergerequests.list(iids=wanted[start:start + PAGE], iterator=True, per_page=PAGE):
            found[int(mr.iid)] = mr
    out: dict[str, PullRequest] = {}
    for iid in sorted(found):
        mr = found[iid]
        merged = mr.state == "merged" and any(_associated(project, mr, sha) for sha in by_iid[iid])
        labels = (str(label) for label in getattr(mr, "labels", None) or ())
        pull = pull_request(iid, mr.title, mr.description, (mr.author or {}).get("username"), merged,
                            mr.target_branch, mr.web_url, labels, repository)
        closing = _closes_issues(mr, repository) if merged else []
        out[str(iid)] = dataclasses.replace(pull, closes=tuple(dict.fromkeys([*pull.closes, *closing])))
    return out


def _closes_issues(mr: ProjectMergeRequest, repository: Repository) -> list[str]:
    """Request ids GitLab lists as closed by the MR: this project's (or the hub's) issues, judged by
    their web address as a written `Closes <url>` would be."""
    text = "\n".join(f"Closes {issue.web_url}" for issue in mr.closes_issues(per_page=PAGE)
                     if getattr(issue, "web_url", None))
    return references(text, repository)[0] if text else []
