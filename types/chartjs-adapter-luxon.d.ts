// chartjs-adapter-luxon registers Luxon as chart.js's date adapter when imported; it ships no type declarations.
declare module "chartjs-adapter-luxon";
