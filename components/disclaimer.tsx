export function Disclaimer() {
  return (
    <p className="disclaimer" role="note">
      Radtrack is decision support, not a diagnosis. It shows how similar a scan is to labelled reference scans; a
      clinician interprets every image.
    </p>
  );
}
