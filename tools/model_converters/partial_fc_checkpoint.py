"""Split a checkpoint's Partial FC centres into per-rank files, or merge such files back.

``python tools/model_converters/partial_fc_checkpoint.py split CKPT.pth OUT_DIR --world-size N``
writes ``OUT_DIR/rank_<r>.pth`` with each rank's rows of the sharded weights;
``python tools/model_converters/partial_fc_checkpoint.py merge OUT.pth SHARD.pth ...`` joins
them into one checkpoint. Checkpoints written by training already hold the full centres
(same keys as the replicated margin head), so they fine-tune, test and resume as they are.
"""

import argparse
import os
import os.path as osp
import sys

import torch

from facerec.models.utils import merge_checkpoints, split_checkpoint


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    split = sub.add_parser('split', help='one checkpoint -> per-rank files')
    split.add_argument('checkpoint')
    split.add_argument('out_dir')
    split.add_argument('--world-size', type=int, required=True)
    split.add_argument('--keys', nargs='+', default=['head.weight'], help='sharded keys')
    merge = sub.add_parser('merge', help='per-rank files -> one checkpoint')
    merge.add_argument('out')
    merge.add_argument('shards', nargs='+')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.command == 'split':
        checkpoint = torch.load(args.checkpoint, map_location='cpu', weights_only=True)
        os.makedirs(args.out_dir, exist_ok=True)
        for rank, shard in enumerate(split_checkpoint(checkpoint, args.world_size, args.keys)):
            path = osp.join(args.out_dir, f'rank_{rank}.pth')
            torch.save(shard, path)
            rows = {k: tuple(shard['state_dict'][k].shape) for k in args.keys}
            print(f'{path}: {rows}')
    else:
        shards = [torch.load(p, map_location='cpu', weights_only=True) for p in args.shards]
        merged = merge_checkpoints(shards)
        torch.save(merged, args.out)
        keys = merged['meta'].get('row_shard', shards[0]['meta']['row_shard'])
        print(
            f'{args.out}: ' + ', '.join(f'{k} {tuple(merged["state_dict"][k].shape)}' for k in keys)
        )
    return 0


if __name__ == '__main__':
    sys.exit(main())
