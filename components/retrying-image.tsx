"use client";

// An authenticated rendition that may not be there yet (a film just stored, a server still busy embedding): on an
// error it shows a placeholder and asks again after 1, 2, 4... seconds (up to a minute in all), so a tile never
// stays black until the page is reloaded.
import { useEffect, useState } from "react";

const MAX_TRIES = 6;

export function RetryingImage({
  src,
  alt,
  width,
  height,
  loading,
  className,
}: {
  src: string;
  alt: string;
  width: number;
  height: number;
  loading?: "lazy" | "eager";
  className?: string;
}) {
  const [tries, setTries] = useState(0);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!failed || tries >= MAX_TRIES) return;
    const timer = setTimeout(
      () => {
        setTries((t) => t + 1);
        setFailed(false);
      },
      1000 * 2 ** tries,
    );
    return () => clearTimeout(timer);
  }, [failed, tries]);
  const url = tries === 0 ? src : `${src}${src.includes("?") ? "&" : "?"}try=${tries}`;
  return (
    <span className={`image-slot${failed ? " image-pending" : ""}${className ? ` ${className}` : ""}`}>
      {failed ? (
        <span className="image-placeholder" role="img" aria-label={`${alt} (loading)`}>
          {tries >= MAX_TRIES ? "image unavailable" : "loading…"}
        </span>
      ) : (
        // eslint-disable-next-line @next/next/no-img-element -- authenticated API image, not optimisable
        <img src={url} alt={alt} width={width} height={height} loading={loading} onError={() => setFailed(true)} />
      )}
    </span>
  );
}
