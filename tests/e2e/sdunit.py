"""The commands of a systemd service as systemd would run them, for tests
that have no systemd to run them: ExecStartPre= lines, then ExecStart=,
each split into words the way systemd splits it.

Only what trawl@.service uses is understood, and anything else is
refused (ValueError), so that a unit that grows a construct this does not
know fails its tests instead of being run wrong:

  - a backslash at the end of a line continues it; '#' and ';' lines are
    comments;
  - the specifiers %i (the instance) and %% (a '%'), expanded before the
    line is split, as systemd does;
  - words quoted with '...' or "...", without C escapes inside;
  - ${NAME} inside a word, from the service's environment, and $$ for a
    dollar sign;
  - the prefix '-' (a failure is ignored).
"""
import re
import shlex

_EXEC = ('ExecStartPre', 'ExecStart')
_OTHER_EXEC = ('ExecCondition', 'ExecStartPost', 'ExecReload', 'ExecStop',
               'ExecStopPost')


def _expand_specifiers(value, instance):
    def spec(m):
        c = m.group(1)
        if c == '%':
            return '%'
        if c == 'i':
            return instance
        raise ValueError('specifier %%%s is not understood here' % c)
    return re.sub(r'%(.)', spec, value)


def _expand_env(word, env):
    def var(m):
        if m.group(0) == '$$':
            return '$'
        if m.group(1) is not None:
            if m.group(1) not in env:
                raise ValueError('${%s} is not in the environment given'
                                 % m.group(1))
            return env[m.group(1)]
        raise ValueError('bare $%s: systemd would split it into words'
                         % m.group(2))
    return re.sub(r'\$\$|\$\{(\w+)\}|\$(\w+)', var, word)


def commands(text, instance, env):
    """The commands of the unit text for instance, in the order systemd
    runs them: a list of (argv, failure_ignored)."""
    if '\\"' in text or "\\'" in text:
        raise ValueError('escaped quotes are not understood here')
    lines = text.replace('\\\n', ' ').splitlines()
    found = {k: [] for k in _EXEC}
    for line in lines:
        s = line.strip()
        if not s or s[0] in '#;':
            continue
        key, _, value = s.partition('=')
        if key in _OTHER_EXEC:
            raise ValueError('%s= is not run here' % key)
        if key in found:
            found[key].append(value.strip())
    out = []
    for key in _EXEC:
        for value in found[key]:
            ignore = value.startswith('-')
            if value[:1] in '@:+!' or value[1:2] in '@:+!-':
                raise ValueError('prefix of %r not understood' % value)
            words = shlex.split(_expand_specifiers(value.lstrip('-'),
                                                   instance))
            out.append(([_expand_env(w, env) for w in words], ignore))
    return out
