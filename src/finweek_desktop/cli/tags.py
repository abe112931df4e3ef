"""`finweek tag` and `finweek tags`."""

from __future__ import annotations

from ..core.display import safe_display_name as shown
from .output import CliError, print_json, record_id


def register(subparsers, common) -> None:
    p = subparsers.add_parser("tag", parents=[common], help="add a tag to a document (--remove takes it off)")
    p.add_argument("id", type=record_id, nargs="+", metavar="ID", help="document id(s)")
    p.add_argument("tag", help="the tag")
    p.add_argument("--remove", action="store_true", help="take the tag off instead")
    p.add_argument("--color", help="colour of the tag, #rrggbb")
    p.set_defaults(handler=run_tag)

    p = subparsers.add_parser("tags", parents=[common], help="every tag with its document count; rename, merge, delete")
    action = p.add_mutually_exclusive_group()
    action.add_argument("--rename", nargs=2, metavar=("OLD", "NEW"), help="rename a tag (merges into NEW if it exists)")
    action.add_argument("--merge", nargs="+", metavar="TAG", help="merge these tags into --into")
    action.add_argument("--delete", metavar="TAG", help="delete a tag from every document")
    action.add_argument("--color", nargs=2, metavar=("TAG", "COLOR"), help="set a tag's colour (#rrggbb, or 'none')")
    p.add_argument("--into", metavar="TAG", help="target of --merge")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=run_tags)


def run_tag(args, catalog) -> int:
    service = catalog.service
    if args.remove:
        service.tags.remove_tag(args.id, args.tag)
        print(f"Removed tag {args.tag!r} from {_ids(args.id)}")
    else:
        info = service.tags.add_tag(args.id, args.tag, color=args.color)
        print(f"Tagged {_ids(args.id)} with {info.name!r} ({info.count} document{'s' if info.count != 1 else ''})")
    return 0


def run_tags(args, catalog) -> int:
    service = catalog.service
    if args.rename:
        info = service.tags.rename_tag(*args.rename)
        print(f"Renamed {args.rename[0]!r} to {info.name!r} ({info.count} documents)")
        return 0
    if args.merge:
        if not args.into:
            raise CliError("--merge needs --into TARGET")
        info = service.tags.merge_tags(args.merge, args.into)
        print(f"Merged {', '.join(map(repr, args.merge))} into {info.name!r} ({info.count} documents)")
        return 0
    if args.delete:
        info = service.tags.delete_tag(args.delete)
        print(f"Deleted tag {info.name!r} (was on {info.count} documents)")
        return 0
    if args.color:
        name, color = args.color
        info = service.tags.set_tag_color(name, None if color.lower() == "none" else color)
        print(f"Tag {info.name!r} colour: {info.color or 'none'}")
        return 0
    tags = service.tags.all()
    if args.json:
        print_json([{"id": t.id, "name": t.name, "color": t.color, "count": t.count} for t in tags])
        return 0
    if not tags:
        print("No tags.")
    width = max((len(shown(t.name)) for t in tags), default=0)
    for t in tags:
        print(f"{shown(t.name):<{width}}  {t.count:>5}  {t.color or ''}".rstrip())
    return 0


def _ids(ids: list[int]) -> str:
    return ", ".join(f"[{i}]" for i in ids)
