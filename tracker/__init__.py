"""tracker: link fan requests to the builds that shipped them, and credit the fans.

One release, in the order it runs (docs/architecture.md):

    early.py     the console entry point: a long range's `git log` starts before click loads
    cli/         click only: options in, one line out on error
    session.py   one command's work, calling the stages below in turn
    collect.py   1. read the build's range and earlier history from git and the link index
    link.py      2. the pull requests a range claims, the requests it names
    decide.py    3. what shipped, was fixed, withdrawn, or shipped before
    credit.py    4. who is thanked, named truthfully; the hall of fame
    report.py       the schema-1 report assembled
    render.py    5. changelogs, comments and pages from templates
    publish.py   6. marks for the issue system; the build handed to publishers
    hooks.py     the plugin contract: the only module a plugin imports

Every `_name.py` is private: the shared foundation or a stage's own helper.
"""

__version__ = "0.1.0"
