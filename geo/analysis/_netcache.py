"""The binary cache of a built walking network: arrays, strokes and street blocks.

Reading a GraphML file and turning it back into arrays costs far more than the
analyses that follow, so a built network is also saved as one uncompressed ``.npz``
file beside its GraphML (same name, same key): the node and street arrays, the CSR
matrix, the street geometry as coordinates, the strokes, and the buffered unions of
the street blocks (as WKB) for the street-side width they were built for. The file
holds plain arrays only (read with ``allow_pickle=False``); one that is unreadable, of
another format version or inconsistent is ignored with a warning, and the network is
rebuilt from the GraphML.
"""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyproj
import scipy.sparse as sp
import shapely

from geo.analysis._graph import GraphArrays
from geo.analysis._segments import EdgePieces

__all__ = ["load_arrays", "restore_pieces", "save_arrays"]

logger = logging.getLogger(__name__)

#: Format version of the cache file; files of another version are ignored.
FORMAT_VERSION = 1

_ARRAY_NAMES = (
    "node_ids", "node_x", "node_y", "csr_data", "csr_indices", "csr_indptr", "csr_edge",
    "edge_u", "edge_v", "edge_length", "coords", "coord_owner",
)  # fmt: skip


def save_arrays(
    path: Path,
    arrays: GraphArrays,
    pieces: EdgePieces,
    crs: pyproj.CRS,
    *,
    width: float,
    quad_segs: int,
) -> bool:
    """Write the network's arrays, strokes and blocks to ``path`` (atomically).

    Parameters
    ----------
    path
        The ``.npz`` file to write.
    arrays, pieces
        The network's arrays and its street pieces (strokes and blocks are saved).
    crs
        The metric CRS of the arrays.
    width, quad_segs
        The street-side width (metres) and buffer segments of the blocks to save.

    Returns
    -------
    bool
        False when the network cannot be saved this way (node ids that are not
        integers) or the file cannot be written (logged).
    """
    if arrays.node_ids.dtype.kind not in "iu":
        logger.info("binary network cache skipped: node ids are not integers")
        return False
    coords, owner = shapely.get_coordinates(arrays.edge_geometry, return_index=True)
    strokes = pieces.strokes
    pieces.blocks.everything(width, quad_segs=quad_segs)  # saved with the blocks
    level, block, polygons = pieces.blocks.saved(width, quad_segs)
    wkb = [bytes(item) for item in shapely.to_wkb(polygons)] if polygons.size else []
    sizes = np.array([len(item) for item in wkb], dtype=np.int64)
    content: dict[str, npt.NDArray[np.generic]] = {
        "version": np.array([FORMAT_VERSION]),
        "crs": np.frombuffer(crs.to_wkt().encode(), dtype=np.uint8),
        "buffer": np.array([width, float(quad_segs)]),
        "node_ids": arrays.node_ids.astype(np.int64),
        "node_x": arrays.node_x,
        "node_y": arrays.node_y,
        "csr_data": arrays.csr.data,
        "csr_indices": arrays.csr.indices,
        "csr_indptr": arrays.csr.indptr,
        "csr_edge": arrays.csr_edge,
        "edge_u": arrays.edge_u,
        "edge_v": arrays.edge_v,
        "edge_length": arrays.edge_length,
        "coords": coords,
        "coord_owner": owner.astype(np.int64),
        "stroke": strokes.stroke,
        "stroke_position": strokes.position,
        "stroke_forward": strokes.forward,
        "block_level": level,
        "block_id": block,
        "block_wkb": np.frombuffer(b"".join(wkb), dtype=np.uint8),
        "block_wkb_end": np.cumsum(sizes),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            np.savez(out, allow_pickle=False, **content)
        Path(temporary).replace(path)
    except OSError as exc:
        logger.warning("could not write the binary network cache %s: %s", path, exc)
        return False
    logger.info("binary network cache written: %s", path)
    return True


def load_arrays(
    path: Path, *, width: float, quad_segs: int
) -> tuple[GraphArrays, pyproj.CRS, dict[str, npt.NDArray[np.generic]]] | None:
    """Read a cache written by :func:`save_arrays`.

    Parameters
    ----------
    path
        The ``.npz`` file.
    width, quad_segs
        The street-side width (metres) and buffer segments in use; saved blocks built
        for another width are left out.

    Returns
    -------
    tuple or None
        The arrays, their CRS and the saved strokes and blocks (for
        :func:`restore_pieces`); ``None`` when the file is missing, unreadable, of
        another version or inconsistent (logged).
    """
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            content = {name: data[name] for name in data.files}
        if int(content["version"][0]) != FORMAT_VERSION:
            logger.warning("binary network cache %s is of another version; ignored", path)
            return None
        arrays = _arrays(content)
        crs = pyproj.CRS.from_wkt(bytes(content["crs"]).decode())
    except (OSError, ValueError, KeyError, IndexError, zipfile.BadZipFile) as exc:
        logger.warning("binary network cache %s is unreadable (%s); ignored", path, exc)
        return None
    saved_width, saved_segs = content["buffer"].tolist()
    if (saved_width, int(saved_segs)) != (width, quad_segs):
        content["block_level"] = np.empty(0, dtype=np.int64)
    return arrays, crs, content


def restore_pieces(pieces: EdgePieces, content: dict[str, npt.NDArray[np.generic]]) -> None:
    """Give a network's street pieces the strokes and blocks read by :func:`load_arrays`."""
    pieces.restore_strokes(
        stroke=content["stroke"].astype(np.int64),
        position=content["stroke_position"].astype(np.int64),
        forward=content["stroke_forward"].astype(bool),
    )
    level = content["block_level"].astype(np.int64)
    if level.size == 0:
        return
    width, quad_segs = content["buffer"].tolist()
    raw = content["block_wkb"].tobytes()
    end = content["block_wkb_end"].astype(np.int64)
    start = np.concatenate([[0], end[:-1]])
    polygons = np.asarray(
        shapely.from_wkb([raw[a:b] for a, b in zip(start.tolist(), end.tolist(), strict=True)]),
        dtype=object,
    )
    pieces.blocks.restore(
        float(width), int(quad_segs), level, content["block_id"].astype(np.int64), polygons
    )


def _arrays(content: dict[str, npt.NDArray[np.generic]]) -> GraphArrays:
    """The graph arrays from a cache's content, checked for consistency."""
    missing = [name for name in _ARRAY_NAMES if name not in content]
    if missing:
        msg = f"missing arrays {missing}"
        raise KeyError(msg)
    n_nodes = content["node_x"].shape[0]
    n_edges = content["edge_u"].shape[0]
    owner = content["coord_owner"].astype(np.int64)
    if (
        content["node_y"].shape[0] != n_nodes
        or content["csr_indptr"].shape[0] != n_nodes + 1
        or content["edge_v"].shape[0] != n_edges
        or content["edge_length"].shape[0] != n_edges
        or np.unique(owner).shape[0] != n_edges
    ):
        msg = "array sizes disagree"
        raise ValueError(msg)
    csr = sp.csr_matrix(
        (content["csr_data"], content["csr_indices"], content["csr_indptr"]),
        shape=(n_nodes, n_nodes),
    )
    geometry = np.asarray(shapely.linestrings(content["coords"], indices=owner), dtype=object)
    return GraphArrays(
        node_ids=content["node_ids"].astype(np.int64),
        node_x=content["node_x"].astype(float),
        node_y=content["node_y"].astype(float),
        csr=csr,
        csr_edge=content["csr_edge"].astype(np.int64),
        edge_u=content["edge_u"].astype(np.int64),
        edge_v=content["edge_v"].astype(np.int64),
        edge_length=content["edge_length"].astype(float),
        edge_geometry=geometry,
        tree=shapely.STRtree(geometry),
    )
