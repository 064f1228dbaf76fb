"""Store's families: each per-workspace one bound to the workspace's Store, each shared one the root's."""

from bot.store import Family, Store, open_store


def test_a_workspace_store_binds_its_per_workspace_families_and_shares_the_others():
    root = open_store(":memory:")
    a, b = root.for_workspace("TAAAA"), root.for_workspace("TBBBB")
    families = {name: f for name, f in vars(Store).items() if isinstance(f, Family)}
    assert families and root.for_workspace("") is root and a.for_workspace("") is root
    for name, family in families.items():
        if family.per_workspace:
            assert getattr(a, name).store is a and getattr(b, name).store is b, name
            assert getattr(a, name) is getattr(a, name) is not getattr(root, name), name
        else:
            assert getattr(a, name) is getattr(b, name) is getattr(root, name), name
            assert getattr(root, name).store is root, name
    assert a.database is root.database and a.workspace == "TAAAA" and root.workspace == ""
    root.close()
